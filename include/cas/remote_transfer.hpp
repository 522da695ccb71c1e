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

// Whether push asks the remote about each hash (a HEAD) before uploading it. Asking saves the
// upload of what the remote has; it costs a request per new hash, and a HEAD costs about what
// the PUT of a small file does.
enum class PushAsk {
  // Ask about the first 64 hashes. After each batch of which fewer than half of the hashes asked
  // about were on the remote, send the next batch's files of up to unasked_max_bytes without
  // asking (except a sample of 16, asked about to keep measuring), and ask about the larger
  // ones. A push into an empty remote thus makes about one request per file, and a push into
  // one that has most of them asks as `always` does.
  adaptive,
  always,  // ask about every hash: nothing is sent that the remote has
};

struct PushOptions {
  bool dry_run = false;  // ask the remote only: count what would be uploaded (always asks)
  PushAsk ask = PushAsk::adaptive;
  // adaptive: the largest file sent without asking. About the bandwidth-delay product of a LAN
  // (1 Gbit/s x 0.5 ms): sending a file the remote has costs less than a HEAD up to here.
  std::uint64_t unasked_max_bytes = 64 * 1024;
  std::function<void(const std::string& message)> on_error;
};

// failed: a HEAD or PUT failed, or the local file went meanwhile; errors: their first messages.
struct PushResult : OperationErrors {
  std::uint64_t checked = 0;          // local hashes considered: asked about, or sent unasked
  std::uint64_t uploaded = 0;         // PUT and stored (dry run: would be)
  std::uint64_t sent_unasked = 0;     // of uploaded, sent without asking (the remote may have
                                      // had some: their PUT stored the same bytes again)
  std::uint64_t already_present = 0;  // the remote had them
  std::uint64_t bytes = 0;            // bytes uploaded (dry run: would be)
};

// Uploads every hash of `store` that `remote` does not have: lists the store, then in batches
// asks the remote about the hashes (HEAD, many in flight; PushOptions::ask says which) and
// uploads the absent ones and those sent unasked (PUT, many in flight).
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
