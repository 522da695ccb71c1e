// Internal: the publishing thread of a bulk fetch (publisher.hpp).
#include "store/publisher.hpp"

namespace cas::detail {

Publisher::Publisher(std::function<void(std::size_t)> publish)
    : publish_(std::move(publish)), thread_([this] { run(); }) {}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Publisher::add(std::size_t i) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    items_.push_back(i);
    wake = waiting_;  // a futex wake only when the thread sleeps, not once per item
  }
  if (wake) ready_.notify_one();
}

void Publisher::finish() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
}

void Publisher::run() {
  std::vector<std::size_t> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    waiting_ = true;
    ready_.wait(lock, [&] { return !items_.empty() || done_; });
    waiting_ = false;
    if (items_.empty()) return;
    batch.clear();
    batch.swap(items_);
    lock.unlock();
    for (std::size_t i : batch) {
      if (error_) break;  // what follows the failure stays unpublished (its temp is removed)
      try {
        publish_(i);
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    lock.lock();
  }
}

}  // namespace cas::detail
