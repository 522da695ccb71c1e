// Internal: one download per hash across threads and processes (the scheme is described in
// include/cas/fetch.hpp): an OFD write lock on one byte of <root>/.cas-fetch.lock.
//
// Thread-safety: a FetchLock belongs to one thread; any number may exist at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/filesystem/path.hpp>

#include "cas/unique_fd.hpp"

namespace cas::detail {

class FetchLock {
 public:
  // The lock on `hash` in the store at `root` (created when missing), taken when this returns.
  // *waited is set to whether another holder had to be waited for. Throws IoError (ETIMEDOUT)
  // once `timeout` has passed, cas::Error when `cancelled` returns true, PermissionError/IoError
  // when the lock file cannot be opened or locked.
  FetchLock(const boost::filesystem::path& root, const std::string& hash,
            std::chrono::milliseconds timeout, const std::function<bool()>& cancelled,
            bool* waited);
  // Releases the lock (closing the descriptor does) and wakes this process's waiters.
  ~FetchLock();
  FetchLock(const FetchLock&) = delete;
  FetchLock& operator=(const FetchLock&) = delete;

  // The lock file's name inside the root.
  static constexpr const char* kFileName = ".cas-fetch.lock";

 private:
  UniqueFd fd_;
};

}  // namespace cas::detail
