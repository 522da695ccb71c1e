// Internal: automatic trimming for a Store with StoreOptions::limits.
//
// Every process writing into the store adds what it publishes (bytes, files) to counters shared
// through root/.cas-trim, a small file every writer maps (MAP_SHARED; atomic adds on the
// mapping are atomic across processes on one host). When the counters say that a trim is due —
// (1 - low_water) of a size or count bound written since the last trim began, which brings a
// store trimmed to its low-water mark back to its bound, or (1 - low_water) of the age bound
// elapsed — the writer that notices takes an exclusive flock on that file without waiting and,
// if it gets it, runs cas::trim in a background thread of its own; the writers go on inserting
// meanwhile, and the others skip the trim while the lock is held. The counters are reset when a
// trim begins, so what is written during a trim counts toward the next one.
//
// With a free-space floor (CacheLimits::min_free), each process also reads the filesystem's free
// space (one statvfs) when it publishes, at most once a second and at least once per
// (1 - low_water) of the floor it publishes, and a trim is due when less than the floor is
// available, unless a trim began less than kFreeSpaceRetry ago (a floor that pins or other
// programs make unreachable must not keep the store scanning).
//
// So a store scans once per (1 - low_water) of a bound written, by all processes together, never
// per insert. It can be over a bound by what its writers publish while a trim runs (the trim
// removes only what its scan saw), and by the writes of processes that do not set limits (they
// do not count). Like every flock and shared mapping, this coordinates processes on one host:
// over NFS, writers on different hosts trim independently.
//
// Thread-safety: published() may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "cas/store.hpp"

namespace cas::detail {

class AutoTrimmer {
 public:
  AutoTrimmer(Store& store, CacheLimits limits);
  ~AutoTrimmer();  // waits for a trim in progress
  AutoTrimmer(const AutoTrimmer&) = delete;
  AutoTrimmer& operator=(const AutoTrimmer&) = delete;

  // Counts a file of `bytes` just published; starts a trim when one is due. Never throws: a
  // cache that cannot keep its bounds still serves and stores.
  void published(std::uint64_t bytes) noexcept;

  // Waits until no trim started by this process is running.
  void wait();

 private:
  // The shared state in root/.cas-trim.
  struct Shared {
    std::uint64_t bytes;  // written since the last trim began
    std::uint64_t files;
    std::int64_t last_trim;  // when it began (unix seconds)
  };

  bool open_shared();
  bool due(const Shared& now) const;
  // Whether the filesystem is below the free-space floor, read when a check is due after
  // `bytes` more were published.
  bool short_of_space(std::uint64_t bytes, const Shared& now) noexcept;
  void start_trim();
  // Runs trim, and again (a few times at most) while what was published meanwhile makes
  // another due; then releases `lock_fd`'s flock.
  void run_trim(int lock_fd);
  // Zeroes what was written since the last trim began, and stamps its beginning now.
  void reset_counts();

  Store& store_;
  const CacheLimits limits_;
  std::mutex mu_;  // guards the fields below
  int fd_ = -1;
  Shared* shared_ = nullptr;
  bool running_ = false;
  std::thread thread_;
  // The free-space check (short_of_space), lock-free: bytes published since the last check, the
  // steady-clock instant (ns) of the next one, and the bytes that make a check due (learnt
  // from the filesystem's size at the first check).
  std::atomic<std::uint64_t> space_written_{0};
  std::atomic<std::int64_t> next_space_check_{0};
  std::atomic<std::uint64_t> space_slack_{0};
};

}  // namespace cas::detail
