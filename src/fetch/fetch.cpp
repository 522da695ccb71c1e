// cas::fetch and cas::fetch_many (include/cas/fetch.hpp): the order of sources around one lock
// per hash; the transfers are download.cpp's, the lock fetch_lock.cpp's.
#include "cas/fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <mutex>
#include <new>
#include <thread>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "fetch/download.hpp"
#include "fetch/fetch_lock.hpp"
#include "remote/http_transfer.hpp"
#include "store/incoming.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using detail::url_part;

// What one request came to.
enum class Outcome { fetched, already_present };

struct Fetched {
  Outcome outcome = Outcome::already_present;
  fs::path path;
  std::uint64_t bytes = 0;
};

void check_hash(const Store& store, const std::string& hash) {
  validate_hash(hash);  // says what is wrong with it when it is not hex at all
  if (!algorithm_for_length(hash.size())) {
    throw InvalidHashError(hash, "not a full hash (40, 64 or 128 hex digits)");
  }
  (void)store.preferred_path(hash);  // and the store's layout takes it
}

// The URLs one after the other into the temp file; publishes the first that gives the content.
Fetched download(Store& store, detail::Incoming& in, detail::Session& session,
                 const FetchRequest& r, const FetchOptions& options) {
  std::vector<std::string> attempts;
  Fetched out;
  out.outcome = Outcome::fetched;
  for (const std::string& url : r.urls) {
    detail::IncomingFile file = in.create();
    detail::UrlOutcome got = detail::download_url(session, options, r.size ? r.size : options.size,
                                                  r.hash, url, file.fd());
    out.bytes += got.bytes;
    if (!got.ok) {
      attempts.push_back(std::move(got.error));
      continue;  // the temp goes with `file`
    }
    in.publish(std::move(file), r.hash, options.durability.value_or(store.options().durability));
    out.path = store.lookup_local(r.hash).value_or(store.preferred_path(r.hash));
    return out;
  }
  throw FetchError(r.hash, std::move(attempts), out.bytes);
}

// fetch, telling whether it downloaded.
Fetched fetch_one(Store& store, detail::Session& session, const FetchRequest& r,
                  const FetchOptions& options) {
  Fetched out;
  if (auto hit = store.lookup_local(r.hash)) {
    out.path = *hit;
    return out;
  }
  detail::Incoming in(store);  // ReadOnlyError before any request
  bool waited = false;
  detail::FetchLock lock(store.root(), r.hash, options.lock_timeout, options.cancelled, &waited);
  if (auto hit = store.lookup_local(r.hash)) {  // the downloader we waited for published it
    out.path = *hit;
    return out;
  }
  if (store.options().remote) {
    if (auto hit = store.lookup(r.hash)) {  // read through: verified and published
      out.outcome = Outcome::fetched;
      out.path = *hit;
      return out;
    }
  }
  return download(store, in, session, r, options);
}

// One request of fetch_many that failed on its own (the others go on).
struct RequestFailed {
  std::string message;
  std::uint64_t bytes = 0;
};

// fetch_one, with the failures of this request alone as RequestFailed.
Fetched fetch_counted(Store& store, detail::Session& session, const FetchRequest& r,
                      const FetchOptions& options) {
  try {
    return fetch_one(store, session, r, options);
  } catch (const FetchError& e) {
    throw RequestFailed{e.what(), e.bytes()};
  } catch (const IoError& e) {
    if (e.code() != ETIMEDOUT) throw;  // waited too long for another downloader of this hash
    throw RequestFailed{r.hash + ": " + e.what()};
  }
}

void check_request(const Store& store, const FetchRequest& r) {
  check_hash(store, r.hash);
  for (const auto& url : r.urls) validate_fetch_url(url);
}

}  // namespace

void validate_fetch_url(const std::string& url) {
  static std::once_flag once;  // curl_global_init is not thread-safe in every libcurl build
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string shown = "URL " + redact_url(url);
  CURLU* u = curl_url();
  if (u == nullptr) throw std::bad_alloc();
  const CURLUcode rc = curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  const std::string scheme = url_part(u, CURLUPART_SCHEME);
  const std::string host = url_part(u, CURLUPART_HOST);
  curl_url_cleanup(u);
  if (rc != CURLUE_OK) throw InvalidArgumentError(shown + ": " + curl_url_strerror(rc));
  if (scheme != "http" && scheme != "https" && scheme != "file") {
    throw InvalidArgumentError(shown + ": not an http, https or file URL");
  }
  if (scheme != "file" && host.empty()) throw InvalidArgumentError(shown + ": no host");
}

fs::path fetch(Store& store, const std::string& hash, const std::vector<std::string>& urls,
               const FetchOptions& options) {
  FetchRequest r{hash, urls, options.size};
  check_request(store, r);
  detail::Session session;
  return fetch_one(store, session, r, options).path;
}

FetchResult fetch_many(Store& store, const std::vector<FetchRequest>& requests,
                       const FetchOptions& options) {
  for (const auto& r : requests) check_request(store, r);
  FetchResult result;
  std::mutex mutex;  // result, the progress callback, the first fatal error
  std::exception_ptr fatal;
  std::atomic<std::size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  Progress progress;
  progress.total = requests.size();
  auto work = [&] {
    detail::Session session;  // this worker's connections, reused by all its requests
    for (std::size_t i; (i = next++) < requests.size();) {
      try {
        Fetched f = fetch_counted(store, session, requests[i], options);
        std::lock_guard lock(mutex);
        (f.outcome == Outcome::fetched ? result.fetched : result.already_present) += 1;
        result.bytes += f.bytes;
      } catch (const RequestFailed& e) {
        std::lock_guard lock(mutex);
        result.add(e.message);
        result.bytes += e.bytes;
      } catch (...) {  // read-only, cancelled, the store cannot be written: stop everything
        std::lock_guard lock(mutex);
        if (!fatal) fatal = std::current_exception();
        next = requests.size();
        return;
      }
      std::lock_guard lock(mutex);
      progress.done += 1;
      progress.bytes = result.bytes;
      progress.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.rate = progress.elapsed_seconds > 0 ? progress.done / progress.elapsed_seconds : 0;
      if (options.batch_progress) options.batch_progress(progress);
    }
  };
  const std::size_t threads =
      std::max<std::size_t>(1, std::min(options.http.max_in_flight, requests.size()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (fatal) std::rethrow_exception(fatal);
  if (options.durability.value_or(store.options().durability) == Durability::batch) {
    store.flush();  // as pull: what this call published is durable when it returns
  }
  return result;
}

}  // namespace cas
