// Fetch: fill a store from origin URLs by hash — "give me the file whose digest is H; here are
// the URLs it can be downloaded from" (Bazel's repository cache, Nix's fetchurl, pip's cache).
//
// Order: a local hit returns at once (no network); else the store's remote
// (StoreOptions::remote, read through as Store::lookup does); else each URL in turn. A 404 or
// 410 moves to the next URL at once; a refused connection, a timeout, a 5xx or a 429 is retried
// with exponential backoff (honouring Retry-After) up to FetchOptions::retries times, then the
// next URL; any other answer (403, a wrong size, wrong content) moves to the next URL.
//
// The body streams into an anonymous temp file in the store's temp area while it is hashed, and
// is published as put publishes (FetchOptions::durability, else the store's) only if it hashes
// to its name: otherwise nothing is published, the temp is gone, and the error names the URL
// (without its userinfo: see redact_url) and both hashes. A connection dropped after N bytes
// resumes with `Range: bytes=N-` when the server answers 206 with a matching Content-Range (the
// hash state carries on, nothing written is read again); otherwise it starts over.
//
// Schemes: http, https (FetchOptions::http: the CA file, a header, ~/.netrc, timeouts, as the
// remote tier has them) and file://. Redirects are followed up to max_redirects, never from https
// to http (nor to any other scheme). An expected size and a size cap abort a transfer as soon as
// it exceeds them (Content-Length, then counting the body).
//
// One download per hash on the host, however many threads and processes miss it at once: the
// downloader holds an OFD lock (fcntl F_OFD_SETLK, released by the kernel when the holder's
// descriptor closes, so also when it dies) on one byte of the lock file `<root>/.cas-fetch.lock`,
// the byte at an offset taken from the hash's first 15 hex digits. The others wait for the lock
// (polling; a thread of the same process is woken as soon as the holder releases it), then look
// the hash up again: the first published it, or died, and then the waiter downloads it. Locks
// beyond the end of a file are allowed, so the file stays empty: there is one lock file per
// store, whatever the number of hashes, and nothing accumulates. It is created as the store's
// files are (0666 less the umask): users sharing a store need a umask that lets the others write
// it, as they need for the store's directories (else their fetches fail with PermissionError). The
// wait is bounded by FetchOptions::lock_timeout and interruptible by FetchOptions::cancelled.
//
// Thread-safety: fetch and fetch_many may be called from any number of threads and processes at
// once on one store. The callbacks are called from the fetching threads: `progress` from the
// thread of the transfer it reports, `batch_progress` one call at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/filesystem/path.hpp>

#include "cas/operations.hpp"
#include "cas/remote.hpp"
#include "cas/store.hpp"

namespace cas {

// One transfer's progress, for FetchOptions::progress.
struct FetchProgress {
  const std::string& hash;
  const std::string& url;              // without its userinfo
  std::uint64_t bytes = 0;             // of the body written so far (a resumed part included)
  std::optional<std::uint64_t> total;  // when the server said
};

struct FetchOptions {
  // The transfer: connect timeout, the low-speed abort, CA file, a header ("Authorization: ..."),
  // ~/.netrc; max_in_flight is fetch_many's number of requests in flight.
  HttpRemoteOptions http;
  // The expected size in bytes: a body of another size fails for its URL (early when the server
  // announces it). fetch_many: per request (FetchRequest::size) instead.
  std::optional<std::uint64_t> size;
  // The largest body accepted: a bigger one is aborted as soon as it is known to be bigger.
  std::optional<std::uint64_t> max_bytes;
  // How the published file is made durable; unset: the store's (StoreOptions::durability).
  std::optional<Durability> durability;
  // Retries per URL of a transient failure (refused, timeout, 5xx, 429, a dropped connection that
  // brought nothing new), after 1, 2, 4... times `backoff`, at most `max_backoff` each (a longer
  // Retry-After is cut to it).
  unsigned retries = 3;
  std::chrono::milliseconds backoff{250};
  std::chrono::milliseconds max_backoff{10000};
  long max_redirects = 10;
  // How long to wait for another thread or process downloading the same hash.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(30)};
  // Asked while waiting (for the lock, between retries) and during transfers: true stops the
  // fetch with cas::Error("... interrupted").
  std::function<bool()> cancelled;
  // Called during each transfer, at most every few hundred milliseconds.
  std::function<void(const FetchProgress&)> progress;
  // fetch_many: called after each request is done, one call at a time (done = requests done,
  // total = all of them, bytes = bytes downloaded so far).
  ProgressCallback batch_progress;
};

// Fetches `hash` (lowercase hex of 40, 64 or 128 digits: sha1, sha256, sha512 by length) into
// `store` and returns its absolute path in the store.
// Throws, before any request: InvalidHashError for a hash that is not that or that the store's
// preferred layout refuses; InvalidArgumentError for a URL that is not http, https or file (its
// message without credentials).
// Then: ReadOnlyError on a miss in a read-only store; FetchError when no source gave the right
// content (what each URL answered; an empty list and no remote on a miss too); cas::Error when
// cancelled; IoError (ETIMEDOUT) when lock_timeout passed while another downloader held the hash;
// PermissionError/IoError when the temp file cannot be written or published, or the lock file
// cannot be opened.
boost::filesystem::path fetch(Store& store, const std::string& hash,
                              const std::vector<std::string>& urls,
                              const FetchOptions& options = {});

struct FetchRequest {
  std::string hash;
  std::vector<std::string> urls;
  std::optional<std::uint64_t> size;  // the expected size, as FetchOptions::size
};

struct FetchResult : OperationErrors {
  std::uint64_t fetched = 0;          // downloaded (or read through the remote) and published
  std::uint64_t already_present = 0;  // in the store already (or published meanwhile by another)
  std::uint64_t bytes = 0;            // bytes downloaded by this call
  // failed, errors: requests no source gave (each message "<hash>: <why>").
};

// Fetches every request, with up to options.http.max_in_flight of them in flight (a thread each,
// keeping its connections open from one request to the next), and returns the counts. With
// Durability::batch (options.durability, else the store's) it ends with Store::flush(): what it
// published is durable when it returns. Every hash and URL is checked before the first request
// (throws InvalidHashError / InvalidArgumentError as fetch does); a request that fails after that
// is counted in `failed` and the others go on. Throws ReadOnlyError when the store is read-only and
// a request misses; cas::Error when cancelled.
FetchResult fetch_many(Store& store, const std::vector<FetchRequest>& requests,
                       const FetchOptions& options = {});

// Throws InvalidArgumentError (naming the URL without credentials) unless `url` is an http,
// https or file URL that curl can parse, with a host for http and https. Makes no request.
void validate_fetch_url(const std::string& url);

}  // namespace cas
