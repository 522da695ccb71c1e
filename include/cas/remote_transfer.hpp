// cas::push and cas::pull: many hashes between a Store and a Remote in one go, with the
// remote's requests in flight (HttpRemoteOptions::max_in_flight), for `cas push`, `cas pull`
// and the Python module. One object at a time goes through the Store itself instead
// (StoreOptions::remote: read through, write through).
//
// Errors: a failure on one hash (a request that failed, a body with the wrong hash) is counted
// in the result, its message (naming the URL without credentials) kept among the first
// OperationErrors::kMaxErrors in `errors` (as every result keeps them: cas/operations.hpp) and
// passed to on_error; the transfer goes on. Only what stops the whole transfer
// throws (see each function).
//
// Thread-safety: each function may be called from any thread; on_error is called from the
// calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cas/operations.hpp"
#include "cas/remote.hpp"
#include "cas/store.hpp"

namespace cas {

struct PushOptions {
  bool dry_run = false;  // ask the remote only: count what would be uploaded
  std::function<void(const std::string& message)> on_error;
};

// failed: a HEAD or PUT failed, or the local file went meanwhile; errors: their first messages.
struct PushResult : OperationErrors {
  std::uint64_t checked = 0;          // local hashes asked about (HEAD)
  std::uint64_t uploaded = 0;         // PUT and stored (dry run: would be)
  std::uint64_t already_present = 0;  // the remote had them
  std::uint64_t bytes = 0;            // bytes uploaded (dry run: would be)
};

// Uploads every hash of `store` that `remote` does not have: lists the store, asks the remote
// about each hash (HEAD, many in flight), then uploads the absent ones (PUT, many in flight).
// Only sha1/sha256/sha512 names (40, 64, 128 characters) are pushed: others are not counted;
// files no layout recognizes are ignored. Returns the counts. Throws PermissionError/IoError
// when the store cannot be listed.
PushResult push(Store& store, Remote& remote, const PushOptions& options = {});

struct PullOptions {
  // How the fetched files are published; unset: the store's own durability. With
  // Durability::batch, pull ends with one Store::flush().
  std::optional<Durability> durability;
  std::function<void(const std::string& message)> on_error;
};

// failed: the request failed (refused, timeout, 5xx, truncated); errors: the first messages of
// those, of the missing and of the corrupt ones.
struct PullResult : OperationErrors {
  std::uint64_t fetched = 0;          // fetched, verified and published
  std::uint64_t already_present = 0;  // in the store already: not asked for
  std::uint64_t missing = 0;          // the remote does not have them (404)
  std::uint64_t corrupt = 0;          // the body did not hash to its name: nothing published
  std::uint64_t bytes = 0;            // bytes fetched and published
};

// Fetches each of `hashes` that `store` does not have locally (repeats are asked once) from
// `remote`, many in flight, into the store's temp area, and publishes each one whose body
// hashes to its name. Returns the counts: missing and corrupt are reported like failures
// (kept in `errors`, on_error) but counted apart. Throws InvalidHashError (before any request)
// for a hash that is not 40, 64 or 128 lowercase hex digits; ReadOnlyError ("create") for a
// read-only store; PermissionError/IoError when a temp file cannot be written or a file
// published (what was published before stays).
PullResult pull(Store& store, Remote& remote, const std::vector<std::string>& hashes,
                const PullOptions& options = {});

}  // namespace cas
