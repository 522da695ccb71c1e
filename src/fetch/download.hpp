// Internal: one URL's transfer for cas::fetch — the body streamed into a temp file while it is
// hashed, retried with backoff on transient failures, resumed with a Range request after a
// dropped connection when the server accepts ranges, aborted early past the expected size or the
// cap. libcurl with the remote tier's settings (HttpRemoteOptions).
//
// Thread-safety: any number of transfers may run at once, each on its own Session.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>

#include "cas/fetch.hpp"

namespace cas::detail {

// A curl easy handle kept across transfers: its connection cache lets the next request to the
// same server reuse the connection (fetch_many's workers each keep one for all their requests,
// as curl --parallel does). Belongs to one thread at a time.
class Session {
 public:
  Session();  // throws std::bad_alloc when curl cannot make a handle
  ~Session() { curl_easy_cleanup(easy_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  CURL* easy() const { return easy_; }

 private:
  CURL* easy_;
};

// What one URL gave.
struct UrlOutcome {
  bool ok = false;          // the file holds exactly the content of the hash
  bool not_found = false;   // 404, 410, or no such file
  std::uint64_t bytes = 0;  // body bytes received from the network, resumed parts included
  std::string error;        // when !ok: "GET <url without userinfo>: <why>"
};

// Fetches `url` into `fd` (an empty file of the store's temp area, read-write), checking that
// its content hashes to `hash` and, when `size` is set, is that long. On !ok, the file's
// content is undefined (truncate it before reuse). Throws cas::Error when options.cancelled says
// so, IoError when the file cannot be written (the store's fault, not the URL's).
UrlOutcome download_url(Session& session, const FetchOptions& options,
                        std::optional<std::uint64_t> size, const std::string& hash,
                        const std::string& url, int fd);

}  // namespace cas::detail
