// Internal to the walker: per-worker LIFO queues of directories to read, with stealing.
//
// Each worker pushes the subdirectories it finds onto its own queue and pops the newest, so it
// goes depth-first and the pending set stays small (siblings along one path). A worker whose
// queue is empty steals the oldest item of another queue (the shallowest, largest piece of
// work), and sleeps when there is none anywhere.
//
// Thread-safety: all methods are thread-safe; worker `w` is the only caller passing `w`.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "walker/walker_fd_cache.hpp"

namespace cas::detail {

class WorkQueues {
 public:
  explicit WorkQueues(unsigned workers);

  // Pushes `count` items onto worker w's queue; the last is popped first by w.
  void push(unsigned w, DirNode* const* items, std::size_t count);
  // Returns the next item for worker w: its own newest, else another's oldest; waits while
  // there is none. Returns null once end() was called.
  DirNode* next(unsigned w);
  // Ends next() for every worker (the walk is complete or stopped).
  void end();
  // Removes and returns every queued item (after the workers have finished).
  std::vector<DirNode*> drain();

  // After a push by a running worker: reserves and returns the indices [first, first + count)
  // of workers to start for the queued items that no sleeping worker and not the pusher itself
  // will take, up to the `workers` of the constructor. Worker 0 is started by the caller.
  struct NewWorkers {
    unsigned first = 0, count = 0;
  };
  NewWorkers claim_workers();

 private:
  struct alignas(64) Queue {
    std::mutex mu;
    std::deque<DirNode*> items;
  };

  std::unique_ptr<Queue[]> queues_;
  const unsigned workers_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<unsigned> sleepers_{0};
  std::atomic<unsigned> started_{1};
  std::atomic<bool> ended_{false};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

}  // namespace cas::detail
