// A remote tier: an HTTP object server speaking `HEAD/GET/PUT BASE/cas/<hash>` (the dialect of
// Bazel's remote cache and bazel-remote; nginx WebDAV serves it in tests).
//
// cas::HttpRemote is the libcurl client (src/remote/http_remote.cpp), cas::S3Remote
// (s3_remote.hpp) the same over an S3 bucket, open_remote picks one by URL; a Store uses a Remote
// as its second tier through StoreOptions::remote (store.hpp), and cas::push / cas::pull
// (remote_transfer.hpp) move whole lists of hashes.
//
// Every call checks its hashes before any request: lowercase hex of a known digest length (40,
// 64 or 128: sha1, sha256, sha512, so that a fetched body can be re-hashed), else
// InvalidHashError; a hostile hash never reaches a URL. Outcomes distinguish present, absent
// (404), corrupt (a body that does not hash to its name) and failed (refused connection,
// timeout, 5xx, a refused PUT, a truncated body, a local I/O error). No call throws for a
// network or server failure: it is a result. An error text names the method and the URL
// without its userinfo (see redact_url) and never includes a header or a password.
//
// Thread-safety: a Remote is safe to use from several threads at once. HttpRemote keeps a pool
// of curl multi handles (each with its connection cache): a call borrows one, so concurrent
// calls run in parallel and consecutive calls reuse their connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
  std::size_t max_in_flight = 16;     // the bulk forms (and connections per host)
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
  // hash is validated before the first request (InvalidHashError); fetch_many and upload_many
  // throw InvalidArgumentError unless there is one fd (path) per hash.
  virtual std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) = 0;
  // fetch_many calls `on_done(i, result)`, when given, as soon as hashes[i] is done (from the
  // calling thread, in completion order, while other requests are in flight): a caller can
  // publish each file while the rest arrive. on_done must not throw.
  using FetchDone = std::function<void(std::size_t index, const RemoteResult& result)>;
  virtual std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                               const std::vector<int>& fds,
                                               const FetchDone& on_done = {}) = 0;
  virtual std::vector<RemoteResult> upload_many(
      const std::vector<std::string>& hashes,
      const std::vector<boost::filesystem::path>& paths) = 0;
};

// The libcurl client. `base_url` is "http[s]://[user[:password]@]host[:port][/prefix]"; requests
// go to base_url + "/cas/" + hash (a trailing '/' of the base is dropped). HTTP/2 is used over
// TLS when the server offers it (multiplexing the bulk forms over one connection), HTTP/1.1
// otherwise, with up to max_in_flight persistent connections. Credentials come from the URL's
// userinfo (basic auth), from options.header, or from ~/.netrc (options.use_netrc).
class HttpRemote final : public Remote {
 public:
  // Throws InvalidArgumentError (its message without credentials) when the URL is not http or
  // https, has no host, has a query or fragment, or when max_in_flight is 0; cas::Error when
  // cas was built without libcurl. Makes no request.
  explicit HttpRemote(std::string base_url, HttpRemoteOptions options = {});
  ~HttpRemote() override;
  HttpRemote(const HttpRemote&) = delete;
  HttpRemote& operator=(const HttpRemote&) = delete;

  RemoteResult contains(const std::string& hash) override;
  RemoteResult fetch(const std::string& hash, int fd) override;
  RemoteResult upload(const std::string& hash, const boost::filesystem::path& path) override;
  std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) override;
  std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                       const std::vector<int>& fds,
                                       const FetchDone& on_done = {}) override;
  std::vector<RemoteResult> upload_many(const std::vector<std::string>& hashes,
                                        const std::vector<boost::filesystem::path>& paths) override;

  // The base URL without its userinfo, for messages.
  const std::string& display_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A remote for `url`: "http://" or "https://" gives HttpRemote(url, options);
// "s3://BUCKET[/PREFIX]" gives S3Remote(s3_options_from_environment(url, options)) (s3_remote.hpp:
// credentials, region and endpoint from the AWS_* variables). Throws InvalidArgumentError (its
// message without credentials) for another scheme or whatever those refuse; cas::Error when cas was
// built without libcurl. Makes no request.
std::shared_ptr<Remote> open_remote(const std::string& url, const HttpRemoteOptions& options = {});

// Throws InvalidHashError unless `hash` is lowercase hex of 40, 64 or 128 characters: what
// every Remote call checks before a request.
void validate_remote_hash(const std::string& hash);

// "present", "absent", "corrupt" or "failed".
const char* to_string(RemoteStatus status) noexcept;

// `url` without its userinfo: "https://user:pw@host/x" -> "https://host/x".
std::string redact_url(const std::string& url);

}  // namespace cas
