#include "walker/walker_queue.hpp"

#include <algorithm>

namespace cas::detail {

WorkQueues::WorkQueues(unsigned workers)
    : queues_(std::make_unique<Queue[]>(workers)), workers_(workers) {}

void WorkQueues::push(unsigned w, DirNode* const* items, std::size_t count) {
  if (count == 0) return;
  {
    std::lock_guard lock(queues_[w].mu);
    queues_[w].items.insert(queues_[w].items.end(), items, items + count);
  }
  // queued_ is raised after the items are visible, and sleepers_ read after that; a worker
  // going to sleep raises sleepers_ before reading queued_ (both seq_cst), so at least one of
  // the two sides sees the other and no wakeup is lost.
  queued_.fetch_add(count);
  if (sleepers_.load() > 0) {
    std::lock_guard lock(idle_mu_);
    if (count > 1) {
      idle_cv_.notify_all();
    } else {
      idle_cv_.notify_one();
    }
  }
}

DirNode* WorkQueues::next(unsigned w) {
  for (;;) {
    if (ended_.load(std::memory_order_acquire)) return nullptr;
    {
      Queue& own = queues_[w];
      std::lock_guard lock(own.mu);
      if (!own.items.empty()) {
        DirNode* node = own.items.back();
        own.items.pop_back();
        queued_.fetch_sub(1);
        return node;
      }
    }
    if (queued_.load() > 0) {
      for (unsigned i = 1; i < workers_; ++i) {
        Queue& victim = queues_[(w + i) % workers_];
        std::lock_guard lock(victim.mu);
        if (!victim.items.empty()) {
          DirNode* node = victim.items.front();
          victim.items.pop_front();
          queued_.fetch_sub(1);
          return node;
        }
      }
    }
    std::unique_lock lock(idle_mu_);
    sleepers_.fetch_add(1);
    idle_cv_.wait(lock, [&] { return ended_.load() || queued_.load() > 0; });
    sleepers_.fetch_sub(1);
  }
}

void WorkQueues::end() {
  std::lock_guard lock(idle_mu_);
  ended_.store(true, std::memory_order_release);
  idle_cv_.notify_all();
}

std::vector<DirNode*> WorkQueues::drain() {
  std::vector<DirNode*> out;
  for (unsigned i = 0; i < workers_; ++i) {
    std::lock_guard lock(queues_[i].mu);
    out.insert(out.end(), queues_[i].items.begin(), queues_[i].items.end());
    queues_[i].items.clear();
  }
  queued_.store(0);
  return out;
}

WorkQueues::NewWorkers WorkQueues::claim_workers() {
  unsigned started = started_.load();
  for (;;) {
    if (started >= workers_) return {};
    const std::size_t queued = queued_.load();
    const std::size_t takers = std::size_t{sleepers_.load()} + 1;  // the sleepers and the pusher
    if (queued <= takers) return {};
    const auto count =
        static_cast<unsigned>(std::min<std::size_t>(queued - takers, workers_ - started));
    if (started_.compare_exchange_weak(started, started + count)) return {started, count};
  }
}

}  // namespace cas::detail
