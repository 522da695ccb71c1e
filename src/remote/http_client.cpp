// Internal: the pool of curl multi handles behind HttpRemote and S3Remote (see http_client.hpp).
#ifdef CAS_HAVE_CURL
#include "remote/http_client.hpp"

#include <curl/curl.h>

#include <new>

#include "cas/errors.hpp"

namespace cas::detail {

// A multi handle and the easy handles it has used, kept for reuse (connections, TLS sessions).
struct Lane {
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;
  ~Lane() {
    for (CURL* easy : idle) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
  }
};

void check_base_url(const std::string& base, const std::string& what,
                    std::vector<std::string>* secrets) {
  const std::string shown = what + " " + redact_url(base);
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

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::HttpClient(HttpSettings settings) : settings_(std::move(settings)) {}

HttpClient::~HttpClient() {
  lanes_.clear();
  curl_slist_free_all(settings_.headers);
  curl_slist_free_all(settings_.put_headers);
}

std::unique_ptr<Lane> HttpClient::borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!lanes_.empty()) {
      auto lane = std::move(lanes_.back());
      lanes_.pop_back();
      return lane;
    }
  }
  auto lane = std::make_unique<Lane>();
  lane->multi = curl_multi_init();
  if (lane->multi == nullptr) throw std::bad_alloc();
  const long max = static_cast<long>(settings_.options.max_in_flight);
  curl_multi_setopt(lane->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max);
  curl_multi_setopt(lane->multi, CURLMOPT_MAXCONNECTS, max);
  return lane;
}

void HttpClient::give_back(std::unique_ptr<Lane> lane) {
  std::lock_guard lock(mutex_);
  lanes_.push_back(std::move(lane));
}

void HttpClient::start_more(Lane& lane, std::vector<Transfer>& transfers, std::size_t* next,
                            std::size_t* running) {
  while (*running < settings_.options.max_in_flight && *next < transfers.size()) {
    Transfer& t = transfers[(*next)++];
    if (t.method == HttpMethod::put && !open_upload_source(settings_, t)) continue;
    CURL* easy = nullptr;
    if (!lane.idle.empty()) {
      easy = lane.idle.back();
      lane.idle.pop_back();
      curl_easy_reset(easy);
    } else if ((easy = curl_easy_init()) == nullptr) {
      throw std::bad_alloc();
    }
    if (!prepare_easy(settings_, easy, t) || curl_multi_add_handle(lane.multi, easy) != CURLM_OK) {
      t.result.status = RemoteStatus::failed;
      if (t.result.error.empty()) t.result.error = "cannot start a request";
      lane.idle.push_back(easy);
      continue;
    }
    ++*running;
  }
}

std::vector<RemoteResult> HttpClient::run(std::vector<Transfer>& transfers,
                                          const Remote::FetchDone& on_done) {
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
      classify(settings_, easy, msg->data.result, *t);
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
  std::vector<RemoteResult> out;
  out.reserve(transfers.size());
  for (auto& t : transfers) out.push_back(std::move(t.result));
  return out;
}

std::vector<RemoteResult> HttpClient::contains_many(const std::vector<std::string>& hashes) {
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::head;
    transfers[i].hash = hashes[i];
  }
  return run(transfers);
}

std::vector<RemoteResult> HttpClient::fetch_many(const std::vector<std::string>& hashes,
                                                 const std::vector<int>& fds,
                                                 const Remote::FetchDone& on_done) {
  if (fds.size() != hashes.size()) throw InvalidArgumentError("fetch_many: one fd per hash");
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::get;
    transfers[i].hash = hashes[i];
    transfers[i].out_fd = fds[i];
  }
  return run(transfers, on_done);
}

std::vector<RemoteResult> HttpClient::upload_many(
    const std::vector<std::string>& hashes, const std::vector<boost::filesystem::path>& paths) {
  if (paths.size() != hashes.size()) throw InvalidArgumentError("upload_many: one path per hash");
  for (const auto& h : hashes) validate_remote_hash(h);
  std::vector<Transfer> transfers(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    transfers[i].method = HttpMethod::put;
    transfers[i].hash = hashes[i];
    transfers[i].source = paths[i].string();
  }
  return run(transfers);
}

}  // namespace cas::detail
#endif  // CAS_HAVE_CURL
