// Internal: the request engine behind cas::HttpRemote and cas::S3Remote — a pool of curl multi
// handles running HEAD/GET/PUT BASE/cas/<hash> with up to max_in_flight requests in flight. What
// differs between the two remotes is data in HttpSettings (the base URL, headers, SigV4 signing,
// how an error status reads), so both share this one loop.
//
// Thread-safety: safe from several threads at once; each call borrows a multi handle (with its
// connection cache) from the pool, so concurrent calls run in parallel and consecutive calls
// reuse their connections.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/filesystem/path.hpp>

#include "cas/remote.hpp"
#include "remote/http_transfer.hpp"

namespace cas::detail {

struct Lane;

class HttpClient {
 public:
  // Takes `settings` (and the header lists in it, freed on destruction).
  explicit HttpClient(HttpSettings settings);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpSettings& settings() const { return settings_; }

  // The bulk forms of cas::Remote, with its contract: every hash validated before the first
  // request (InvalidHashError), InvalidArgumentError unless there is one fd (path) per hash,
  // results in input order.
  std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes);
  std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                       const std::vector<int>& fds,
                                       const Remote::FetchDone& on_done);
  std::vector<RemoteResult> upload_many(const std::vector<std::string>& hashes,
                                        const std::vector<boost::filesystem::path>& paths);

 private:
  std::unique_ptr<Lane> borrow();
  void give_back(std::unique_ptr<Lane> lane);
  // Runs every transfer; on_done (when set) hears of each as it completes.
  std::vector<RemoteResult> run(std::vector<Transfer>& transfers,
                                const Remote::FetchDone& on_done = {});
  // Starts transfers[*next...] until max_in_flight run; *running counts those in flight.
  void start_more(Lane& lane, std::vector<Transfer>& transfers, std::size_t* next,
                  std::size_t* running);

  HttpSettings settings_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // idle ones
};

// Checks a base URL with curl's own parser: http or https, a host, no query or fragment; else
// throws InvalidArgumentError("<what> <url without userinfo>: <why>"). Adds the URL's password
// (and a user name long enough to be a token) to *secrets.
void check_base_url(const std::string& base, const std::string& what,
                    std::vector<std::string>* secrets);

// curl_global_init, once per process (it is not thread-safe in every libcurl build).
void init_curl_once();

}  // namespace cas::detail
