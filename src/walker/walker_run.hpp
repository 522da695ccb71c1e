// Internal to the walker: the state of one walk, shared by its workers.
//
// Thread-safety: run_worker() is called once per worker index, concurrently; request_stop() from
// any thread. Everything shared is atomic, in the FdCache or in the WorkQueues.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cas/walker.hpp"
#include "walker/walker_fd_cache.hpp"
#include "walker/walker_queue.hpp"

namespace cas::detail {

class WalkRun {
 public:
  // Takes over `root_fd` (an open directory). The visitor and options must outlive the run.
  WalkRun(const WalkOptions& options, unsigned workers, unsigned max_open, int root_fd,
          const struct stat& root_st, std::string root_display, const WalkVisitor& visit);
  ~WalkRun();

  // Called with the indices [first, first + count) of workers to start when queued work needs
  // more workers than are running (WorkQueues::claim_workers). Set before run_worker(0).
  void set_worker_starter(std::function<void(unsigned first, unsigned count)> start) {
    start_workers_ = std::move(start);
  }
  // Runs worker w until the walk is complete or stopped.
  void run_worker(unsigned w);
  // Releases what stopped workers left queued; call once after every worker returned.
  void finish();
  void request_stop() noexcept;
  // The first exception thrown by a visitor or hook, or null.
  std::exception_ptr exception() const { return exception_; }
  WalkStats stats() const;

 private:
  // Per-worker state, reused for every directory the worker reads.
  struct Worker {
    std::unique_ptr<char[]> buffer;  // getdents64 destination
    std::string path;                // scratch: the current entry's relative path
    std::vector<DirNode*> subdirs;   // children found in the slice being read
  };

  void process(unsigned w, DirNode* node);
  bool open_node(DirNode* node);
  // Reads node until end of directory or until a slice of subdirectories is collected. Returns
  // true when the directory is finished.
  bool read_slice(unsigned w, DirNode* node);
  // Handles one directory entry; returns false when the walk must stop.
  bool on_entry(unsigned w, DirNode* node, int dir_fd, std::size_t prefix_len, const char* name,
                unsigned char type, ino_t ino);
  bool is_loop(const DirNode* node) const;
  // Drops one reference; completes the node (and its ancestors in turn) at zero.
  void unref(unsigned w, DirNode* node);
  void report(std::string_view rel_path, const char* operation, int code);
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  template <typename F>
  auto call_user(F&& f) -> decltype(f());

  const WalkOptions& options_;
  const WalkVisitor& visit_;
  const std::string root_display_;
  DirNode* root_;
  const int root_fd_;  // pinned until the root completes
  FdCache fds_;
  WorkQueues queues_;
  std::vector<Worker> worker_state_;
  std::function<void(unsigned, unsigned)> start_workers_;

  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> directories_{0};
  std::atomic<std::uint64_t> entries_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::mutex exception_mu_;
  std::exception_ptr exception_;
};

}  // namespace cas::detail
