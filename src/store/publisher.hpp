// Internal: a thread that publishes what a bulk fetch has completed (StoreImpl::fetch_and_publish,
// behind cas::pull), so that the filesystem's share of a pull (linking each temp file to its
// name, fsync as the durability asks, closing it) runs on one CPU while the transfers' share
// (HTTP, writing and hashing each body) runs on another.
//
// Thread-safety: add() from one thread (the one running the transfers) while the publisher's
// thread calls `publish`; finish() from that same thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cas::detail {

class Publisher {
 public:
  // Starts the thread; it calls publish(i) for each i added, in order, until the first throws.
  explicit Publisher(std::function<void(std::size_t)> publish);
  // Joins the thread after it has published what was added (the failure, if any, is dropped).
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Queues item i. Never throws but std::bad_alloc.
  void add(std::size_t i);
  // Waits until every item added has been published, then rethrows the first exception that
  // `publish` threw (the items after it were not published).
  void finish();

 private:
  void run();

  std::function<void(std::size_t)> publish_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::size_t> items_;
  bool done_ = false;
  bool waiting_ = false;  // the thread sleeps on ready_: add() must wake it
  std::exception_ptr error_;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace cas::detail
