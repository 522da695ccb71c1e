// Reading a list of hashes (gc --keep).
//
// Format: one hash per line. Only the first whitespace-separated field counts, so the output
// of `cas put`, `cas ls`, sha256sum and friends ("<hash>  <file>") is a valid list; a leading
// backslash (sha256sum's mark for an escaped file name) is dropped. Blank lines and lines
// whose first non-blank character is '#' are ignored. CRLF line ends are accepted.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

namespace cas::cli {

// Reads the hashes in `in`, adding them to `out`, and returns how many lines held one.
// `name` names the input in errors.
// Throws UsageError("<name>:<line>", ...) for a line whose first field is not a full digest
// (40, 64 or 128 lowercase hex digits), and UsageError(name, ...) when reading fails:
// a list read only in part must never reach gc, which would remove what it missed.
std::size_t read_hash_list(std::FILE* in, const std::string& name,
                           std::unordered_set<std::string>& out);

// Reads the list in the file `path` ("-": stdin) into `out` and returns how many lines held a
// hash. Throws UsageError when the file cannot be opened, is a directory, or holds an invalid
// line.
std::size_t read_hash_list_file(const std::string& path, std::unordered_set<std::string>& out);

// Reads gc's --keep lists into `out`. Unless `allow_empty`, throws UsageError("<command>
// --keep", ...) naming the first list that holds no hash: an upstream step that failed and wrote
// nothing must not make gc remove what that list was to keep.
void read_keep_lists(const std::string& command, const std::vector<std::string>& files,
                     bool allow_empty, std::unordered_set<std::string>& out);

}  // namespace cas::cli
