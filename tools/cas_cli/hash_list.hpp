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

namespace cas::cli {

// Reads the hashes in `in`, adding them to `out`. `name` names the input in errors.
// Throws UsageError("<name>:<line>", ...) for a line whose first field is not a full digest
// (40, 64 or 128 lowercase hex digits), and UsageError(name, ...) when reading fails:
// a list read only in part must never reach gc, which would remove what it missed.
void read_hash_list(std::FILE* in, const std::string& name, std::unordered_set<std::string>& out);

// Reads the list in the file `path` ("-": stdin) into `out`. Throws UsageError when the file
// cannot be opened, is a directory, or holds an invalid line.
void read_hash_list_file(const std::string& path, std::unordered_set<std::string>& out);

}  // namespace cas::cli
