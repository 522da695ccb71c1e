// Pins: named, persistent sets of hashes that cas::trim and cas::gc never remove.
//
// A pin says "these are in use": a release manifest kept forever, or a lease — a job pins what
// it is using for an hour, and a crashed job's lease simply runs out. Pins live inside the
// store, in root/.cas-pins/<name> (one small text file each), so every process using the store
// sees them. A pin is written to a temp file, fsynced and renamed into place: readers see the
// old pin or the new one, never a part. Pinning does not check that the hashes are present.
//
// File format (for tools that want to read it): the line "cas-pin 1", then "expires never" or
// "expires <unix seconds>", then one hash per line.
//
// Thread-safety: every function may be called from any thread and process at once; two writers
// of one name leave one of the two pins whole.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cas/store.hpp"

namespace cas {

struct PinInfo {
  std::string name;
  std::size_t hashes = 0;
  // When the pin stops protecting its hashes (whole seconds, so any time a pin file can name,
  // up to the year 292 billion, is representable); nullopt: never.
  std::optional<std::chrono::sys_seconds> expires;
  bool expired = false;  // expires is in the past: the pin protects nothing any more
};

// Creates or replaces the pin `name` ([A-Za-z0-9_.-], 1 to 200 characters, not starting with
// '.') holding `hashes`; with a `ttl`, the pin expires that long from now. Throws
// InvalidArgumentError for a bad name, or a ttl that is negative or beyond 100 years (use
// no ttl for a pin that never expires); InvalidHashError for a hash the
// store's preferred layout rejects; ReadOnlyError ("pin") on a read-only store;
// PermissionError/IoError.
void add_pin(Store& store, std::string_view name, const std::vector<std::string>& hashes,
             std::optional<std::chrono::seconds> ttl = std::nullopt);

// Removes the pin `name`; returns false when there was none. Throws InvalidArgumentError for
// a bad name; ReadOnlyError ("unpin"); PermissionError/IoError.
bool remove_pin(Store& store, std::string_view name);

// Every pin, expired ones included, sorted by name. Throws IoError when a pin cannot be read
// or is not in the format above (EBADMSG), PermissionError.
std::vector<PinInfo> list_pins(const Store& store);

// The hashes of every pin that has not expired: what trim and gc keep. Throws as list_pins
// (a pin that cannot be read stops a trim rather than letting it remove what it protects).
std::unordered_set<std::string> pinned_hashes(const Store& store);

}  // namespace cas
