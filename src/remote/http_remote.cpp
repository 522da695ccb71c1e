// cas::HttpRemote: HEAD/GET/PUT BASE/cas/<hash> on libcurl's multi interface. Every call, single
// or bulk, runs its requests on a multi handle borrowed from a pool: the multi keeps the
// connections (HTTP/1.1 keep-alive, or one HTTP/2 connection multiplexed), so consecutive calls
// reuse them, and concurrent calls each have their own.
#include "cas/errors.hpp"
#include "cas/remote.hpp"

#ifdef CAS_HAVE_CURL
#include <curl/curl.h>

#include <mutex>
#include <new>

#include "remote/http_transfer.hpp"

namespace cas {
namespace {

using detail::HttpMethod;
using detail::HttpSettings;
using detail::Transfer;
using detail::url_part;

// curl_global_init is not thread-safe in every libcurl build: once per process.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Checks the base URL with curl's own parser and collects the secrets in it.
void check_base_url(const std::string& base, std::vector<std::string>* secrets) {
  const std::string shown = "remote URL " + redact_url(base);
  CURLU* url = curl_url();
  if (url == nullptr) throw std::bad_alloc();
  CURLUcode rc = curl_url_set(url, CURLUPART_URL, base.c_str(), 0);
  std::string scheme = url_part(url, CURLUPART_SCHEME);
  std::string host = url_part(url, CURLUPART_HOST);
  bool extra =
      !url_part(url, CURLUPART_QUERY).empty() || !url_part(url, CURLUPART_FRAGMENT).empty();
  secrets->push_back(url_part(url, CURLUPART_PASSWORD));
  std::string user = url_part(url, CURLUPART_USER);
  curl_url_cleanup(url);
  if (rc != CURLUE_OK) throw InvalidArgumentError(shown + ": " + curl_url_strerror(rc));
  if (scheme != "http" && scheme != "https") {
    throw InvalidArgumentError(shown + ": not an http or https URL");
  }
  if (host.empty()) throw InvalidArgumentError(shown + ": no host");
  if (extra) throw InvalidArgumentError(shown + ": a query or fragment has no place in a base URL");
  // A user name alone (a token as user) is a secret too, but "a" would mask every "a".
  if (user.size() >= 8) secrets->push_back(user);
}

}  // namespace

// A multi handle and the easy handles it has used, kept for reuse (connections, TLS sessions).
struct Lane {
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;
  ~Lane() {
    for (CURL* easy : idle) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
  }
};

struct HttpRemote::Impl {
  HttpSettings settings;
  std::mutex mutex;
  std::vector<std::unique_ptr<Lane>> lanes;  // idle ones

  ~Impl() {
    lanes.clear();
    curl_slist_free_all(settings.headers);
    curl_slist_free_all(settings.put_headers);
  }

  std::unique_ptr<Lane> borrow() {
    {
      std::lock_guard lock(mutex);
      if (!lanes.empty()) {
        auto lane = std::move(lanes.back());
        lanes.pop_back();
        return lane;
      }
    }
    auto lane = std::make_unique<Lane>();
    lane->multi = curl_multi_init();
    if (lane->multi == nullptr) throw std::bad_alloc();
    const long max = static_cast<long>(settings.options.max_in_flight);
    curl_multi_setopt(lane->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max);
    curl_multi_setopt(lane->multi, CURLMOPT_MAXCONNECTS, max);
    return lane;
  }

  void give_back(std::unique_ptr<Lane> lane) {
    std::lock_guard lock(mutex);
    lanes.push_back(std::move(lane));
  }

  // Runs every transfer; on_done (when set) hears of each as it completes.
  void run(std::vector<Transfer>& transfers, const Remote::FetchDone& on_done = {});
  // Starts transfers[*next...] until max_in_flight run; returns how many run now.
  void start_more(Lane& lane, std::vector<Transfer>& transfers, std::size_t* next,
                  std::size_t* running);
};

void HttpRemote::Impl::start_more(Lane& lane, std::vector<Transfer>& transfers, std::size_t* next,
                                  std::size_t* running) {
  while (*running < settings.options.max_in_flight && *next < transfers.size()) {
    Transfer& t = transfers[(*next)++];
    if (t.method == HttpMethod::put && !detail::open_upload_source(settings, t)) continue;
    CURL* easy = nullptr;
    if (!lane.idle.empty()) {
      easy = lane.idle.back();
      lane.idle.pop_back();
      curl_easy_reset(easy);
    } else if ((easy = curl_easy_init()) == nullptr) {
      throw std::bad_alloc();
    }
    if (!detail::prepare_easy(settings, easy, t) ||
        curl_multi_add_handle(lane.multi, easy) != CURLM_OK) {
      t.result.status = RemoteStatus::failed;
      if (t.result.error.empty()) t.result.error = "cannot start a request";
      lane.idle.push_back(easy);
      continue;
    }
    ++*running;
  }
}

void HttpRemote::Impl::run(std::vector<Transfer>& transfers, const Remote::FetchDone& on_done) {
  std::unique_ptr<Lane> lane = borrow();
  std::size_t next = 0;
  std::size_t running = 0;
  start_more(*lane, transfers, &next, &running);
  while (running > 0) {
    int still = 0;
    curl_multi_perform(lane->multi, &still);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(lane->multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      Transfer* t = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      detail::classify(settings, easy, msg->data.result, *t);
      t->in.reset();  // a bulk upload must not hold every source open
      curl_multi_remove_handle(lane->multi, easy);
      lane->idle.push_back(easy);
      --running;
      if (on_done) on_done(static_cast<std::size_t>(t - transfers.data()), t->result);
    }
    start_more(*lane, transfers, &next, &running);
    if (running > 0) curl_multi_poll(lane->multi, nullptr, 0, 1000, nullptr);
  }
  give_back(std::move(lane));
}

HttpRemote::HttpRemote(std::string base_url, HttpRemoteOptions options)
    : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  HttpSettings& s = impl_->settings;
  if (options.max_in_flight == 0) throw InvalidArgumentError("max_in_flight must be at least 1");
  check_base_url(base_url, &s.secrets);
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
}

HttpRemote::~HttpRemote() = default;

const std::string& HttpRemote::display_url() const { return impl_->settings.display; }

std::vector<RemoteResult> HttpRemote::contains_many(const std::vector<std::string>& hashes) {
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::head;
    transfers[i].hash = hashes[i];
  }
  impl_->run(transfers);
  std::vector<RemoteResult> out;
  out.reserve(transfers.size());
  for (auto& t : transfers) out.push_back(std::move(t.result));
  return out;
}

std::vector<RemoteResult> HttpRemote::fetch_many(const std::vector<std::string>& hashes,
                                                 const std::vector<int>& fds,
                                                 const FetchDone& on_done) {
  if (fds.size() != hashes.size()) throw InvalidArgumentError("fetch_many: one fd per hash");
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::get;
    transfers[i].hash = hashes[i];
    transfers[i].out_fd = fds[i];
  }
  impl_->run(transfers, on_done);
  std::vector<RemoteResult> out;
  out.reserve(transfers.size());
  for (auto& t : transfers) out.push_back(std::move(t.result));
  return out;
}

std::vector<RemoteResult> HttpRemote::upload_many(
    const std::vector<std::string>& hashes, const std::vector<boost::filesystem::path>& paths) {
  if (paths.size() != hashes.size()) throw InvalidArgumentError("upload_many: one path per hash");
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::put;
    transfers[i].hash = hashes[i];
    transfers[i].source = paths[i].string();
  }
  impl_->run(transfers);
  std::vector<RemoteResult> out;
  out.reserve(transfers.size());
  for (auto& t : transfers) out.push_back(std::move(t.result));
  return out;
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
