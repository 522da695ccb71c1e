// What `cas` takes as a HASH on its command line and in its lists.
//
// What writes under a hash, removes one or asks a remote for one (insert, rm, pull, pin add and
// the lists of gc, pin add and pull) takes a full digest: 40, 64 or 128 lowercase hex digits
// (sha1, sha256, sha512), so that a truncated hash is refused rather than stored, kept or
// fetched under the wrong name. `path` and `cat` also take an abbreviation, resolved in the
// store as git resolves an abbreviated object name: 4 or more leading digits that begin exactly
// one stored hash. (The library's stores may hold names of 2 to 128 digits; a name of another
// length that is stored as it is given is taken as it is, by path, cat and rm.)
//
// Thread-safety: main thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "context.hpp"

namespace cas::cli {

// The fewest digits `path` and `cat` resolve as a prefix.
inline constexpr std::size_t kMinPrefix = 4;

// The reason every refusal of a hash of the wrong length gives.
inline constexpr const char* kNotAFullHash = "not a full hash (40, 64 or 128 hex digits)";

// Whether `text` is a full digest: 40, 64 or 128 lowercase hex digits.
bool is_full_hash(const std::string& text);

// Throws UsageError unless `hash` is a full digest: `<command> <hash>: not a full hash (40,
// 64 or 128 hex digits)` for lowercase hex of another length, else (any other character) the
// InvalidHashError of cas::validate_hash, which quotes the input escaped.
void require_full_hash(const std::string& command, const std::string& hash);

// The stored hash that `text`, given to `command` (path, cat), stands for: `text` itself when it
// is a full digest (not looked up: a lookup may read it through the remote) or a stored name;
// else the one stored hash that begins with `text`; nullopt when none does (not in the store).
// Lists only the top-level directories that can hold such a hash (every layout places a hash
// under a name that begins with its own first digits). Throws InvalidHashError for a string
// that is not lowercase hex; UsageError for fewer than kMinPrefix digits, and for a prefix that
// begins several stored hashes (the message lists them); IoError/PermissionError when a
// directory cannot be read.
std::optional<std::string> resolve_hash(Context& context, const std::string& command,
                                        const std::string& text);

// The hash that `text`, given to `command` (rm), names: a full digest, or a name of another
// length that is stored exactly so. Never a prefix: a removal takes the whole name. Throws as
// require_full_hash does otherwise (saying that the command takes no prefix).
std::string removable_hash(Context& context, const std::string& command, const std::string& text);

}  // namespace cas::cli
