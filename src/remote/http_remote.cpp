// cas::HttpRemote: HEAD/GET/PUT BASE/cas/<hash> on libcurl's multi interface. Every call, single
// or bulk, runs its requests on a multi handle borrowed from a pool: the multi keeps the
// connections (HTTP/1.1 keep-alive, or one HTTP/2 connection multiplexed), so consecutive calls
// reuse them, and concurrent calls each have their own.
#include "cas/errors.hpp"
#include "cas/remote.hpp"

#ifdef CAS_HAVE_CURL
#include <curl/curl.h>

#include "remote/http_client.hpp"

namespace cas {

using detail::HttpSettings;

struct HttpRemote::Impl {
  std::unique_ptr<detail::HttpClient> client;
};

HttpRemote::HttpRemote(std::string base_url, HttpRemoteOptions options)
    : impl_(std::make_unique<Impl>()) {
  detail::init_curl_once();
  HttpSettings s;
  if (options.max_in_flight == 0) throw InvalidArgumentError("max_in_flight must be at least 1");
  detail::check_base_url(base_url, "remote URL", &s.secrets);
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  s.base = base_url;
  s.display = redact_url(base_url);
  if (options.header) {
    auto colon = options.header->find(':');
    // The value after "Authorization: Bearer " is the secret; mask the whole value.
    std::string value =
        colon == std::string::npos ? *options.header : options.header->substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    s.secrets.push_back(value);
    s.headers = curl_slist_append(s.headers, options.header->c_str());
    s.put_headers = curl_slist_append(s.put_headers, options.header->c_str());
  }
  s.put_headers = curl_slist_append(s.put_headers, "Expect:");
  s.options = std::move(options);
  impl_->client = std::make_unique<detail::HttpClient>(std::move(s));
}

HttpRemote::~HttpRemote() = default;

const std::string& HttpRemote::display_url() const { return impl_->client->settings().display; }

std::vector<RemoteResult> HttpRemote::contains_many(const std::vector<std::string>& hashes) {
  return impl_->client->contains_many(hashes);
}

std::vector<RemoteResult> HttpRemote::fetch_many(const std::vector<std::string>& hashes,
                                                 const std::vector<int>& fds,
                                                 const FetchDone& on_done) {
  return impl_->client->fetch_many(hashes, fds, on_done);
}

std::vector<RemoteResult> HttpRemote::upload_many(
    const std::vector<std::string>& hashes, const std::vector<boost::filesystem::path>& paths) {
  return impl_->client->upload_many(hashes, paths);
}

RemoteResult HttpRemote::contains(const std::string& hash) {
  return std::move(contains_many({hash}).front());
}

RemoteResult HttpRemote::fetch(const std::string& hash, int fd) {
  return std::move(fetch_many({hash}, {fd}).front());
}

RemoteResult HttpRemote::upload(const std::string& hash, const boost::filesystem::path& path) {
  return std::move(upload_many({hash}, {path}).front());
}

}  // namespace cas

#else   // !CAS_HAVE_CURL: the contract stays, the client says it is missing.

namespace cas {

struct HttpRemote::Impl {};

HttpRemote::HttpRemote(std::string, HttpRemoteOptions) {
  throw Error("cas was built without libcurl: no HTTP remote (Debian: libcurl4-openssl-dev)");
}
HttpRemote::~HttpRemote() = default;
const std::string& HttpRemote::display_url() const {
  static const std::string none;
  return none;
}
std::vector<RemoteResult> HttpRemote::contains_many(const std::vector<std::string>&) { return {}; }
std::vector<RemoteResult> HttpRemote::fetch_many(const std::vector<std::string>&,
                                                 const std::vector<int>&, const FetchDone&) {
  return {};
}
std::vector<RemoteResult> HttpRemote::upload_many(const std::vector<std::string>&,
                                                  const std::vector<boost::filesystem::path>&) {
  return {};
}
RemoteResult HttpRemote::contains(const std::string&) { return {}; }
RemoteResult HttpRemote::fetch(const std::string&, int) { return {}; }
RemoteResult HttpRemote::upload(const std::string&, const boost::filesystem::path&) { return {}; }

}  // namespace cas
#endif  // CAS_HAVE_CURL
