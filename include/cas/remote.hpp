// A remote tier: an HTTP object server speaking `HEAD/GET/PUT BASE/cas/<hash>` (the dialect of
// Bazel's remote cache and bazel-remote; nginx WebDAV serves it in tests).
//
// STATUS: the contract of the first slice of issue 13. Only redact_url is implemented
// (src/remote.cpp); cas::HttpRemote (libcurl, src/http_remote.cpp) is still to be written.
//
// Every call validates its hashes with cas::validate_hash before any request, so a hostile hash
// never reaches a URL (InvalidHashError). Outcomes distinguish present, absent (404) and failed
// (refused connection, timeout, 5xx, truncated body, wrong hash); an error text names the URL
// without its userinfo (see redact_url) and never includes request headers.
//
// Thread-safety: a Remote is safe to use from several threads at once; each call uses its own
// curl easy handle(s), and connections are reused through a shared connection cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/filesystem/path.hpp>

namespace cas {

// The outcome of one request.
enum class RemoteStatus {
  present,  // HEAD/GET found it (and a GET's body hashed to its name); PUT stored it
  absent,   // 404
  corrupt,  // GET: the body does not hash to its name
  failed,   // refused, timeout, 5xx, 403/405 on PUT, truncated body, local I/O error
};

struct RemoteResult {
  RemoteStatus status = RemoteStatus::failed;
  std::uint64_t bytes = 0;  // body bytes transferred (GET, PUT)
  std::string error;        // empty unless failed/corrupt; names the URL without credentials
};

struct HttpRemoteOptions {
  long connect_timeout_ms = 5000;
  // A transfer slower than low_speed_limit bytes/s for low_speed_time_s seconds fails.
  long low_speed_limit = 1;
  long low_speed_time_s = 30;
  std::optional<boost::filesystem::path> ca_file;  // else the system CAs
  std::optional<std::string> header;  // e.g. "Authorization: Bearer ..."; never printed
  bool use_netrc = false;             // credentials from ~/.netrc
  std::size_t max_in_flight = 16;     // the bulk forms
};

// The abstract remote.
class Remote {
 public:
  virtual ~Remote() = default;

  // HEAD BASE/cas/<hash>: present, absent or failed. Throws InvalidHashError only.
  virtual RemoteResult contains(const std::string& hash) = 0;

  // GET BASE/cas/<hash>, written to `fd` from its current offset while hashing (algorithm by
  // hash length). present only when the bytes hash to `hash`; on corrupt/failed the fd holds
  // bytes that must be discarded. Throws InvalidHashError only.
  virtual RemoteResult fetch(const std::string& hash, int fd) = 0;

  // PUT the file at `path` as BASE/cas/<hash>. Throws InvalidHashError only.
  virtual RemoteResult upload(const std::string& hash, const boost::filesystem::path& path) = 0;

  // The bulk forms, with up to max_in_flight requests in flight; results in input order. Every
  // hash is validated before the first request (InvalidHashError).
  virtual std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) = 0;
  virtual std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                               const std::vector<int>& fds) = 0;
  virtual std::vector<RemoteResult> upload_many(
      const std::vector<std::string>& hashes,
      const std::vector<boost::filesystem::path>& paths) = 0;
};

// `url` without its userinfo: "https://user:pw@host/x" -> "https://host/x".
std::string redact_url(const std::string& url);

}  // namespace cas
