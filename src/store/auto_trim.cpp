#include "store/auto_trim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "store/cache_limits.hpp"

namespace cas::detail {
namespace {

constexpr std::string_view kSharedFile = ".cas-trim";
constexpr std::size_t kSharedSize = 4096;
// A background trim is housekeeping: it should not take every core from the program it serves.
constexpr unsigned kTrimThreads = 8;
// How often a process reads the free space while it publishes, and how long after a trim began
// a trim for free space may begin again.
constexpr std::chrono::seconds kFreeSpaceCheck{1};
constexpr std::int64_t kFreeSpaceRetry = 10;  // seconds
// At most this many trims in a row, each for what was published while the one before ran.
constexpr unsigned kTrimRounds = 4;

template <typename T>
std::atomic_ref<T> shared(T& field) {
  return std::atomic_ref<T>(field);
}

// (1 - low_water) of a bound, and at least one unit: what may be written between two trims.
std::uint64_t slack(std::uint64_t bound, double low_water) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(bound * (1 - low_water)));
}

}  // namespace

AutoTrimmer::AutoTrimmer(Store& store, CacheLimits limits) : store_(store), limits_(limits) {}

AutoTrimmer::~AutoTrimmer() {
  wait();
  if (shared_) ::munmap(shared_, kSharedSize);
  if (fd_ >= 0) ::close(fd_);
}

void AutoTrimmer::wait() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

bool AutoTrimmer::open_shared() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shared_) return true;
  const std::string path = (store_.root() / std::string(kSharedFile)).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return false;
  struct stat st;
  // Every process extends it to the same size with zeros: racing writers agree.
  if (::fstat(fd, &st) != 0 ||
      (st.st_size < static_cast<off_t>(kSharedSize) && ::ftruncate(fd, kSharedSize) != 0)) {
    ::close(fd);
    return false;
  }
  void* map = ::mmap(nullptr, kSharedSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  shared_ = static_cast<Shared*>(map);
  return true;
}

bool AutoTrimmer::due(const Shared& now) const {
  const double low = limits_.low_water;
  if (limits_.max_bytes && now.bytes >= slack(*limits_.max_bytes, low)) return true;
  if (limits_.max_files && now.files >= slack(*limits_.max_files, low)) return true;
  if (!limits_.max_age) return false;
  const auto interval = static_cast<std::int64_t>(slack(limits_.max_age->count(), low));
  return std::time(nullptr) - now.last_trim >= interval;
}

void AutoTrimmer::published(std::uint64_t bytes) noexcept {
  if (!open_shared()) return;
  Shared now;
  now.bytes = shared(shared_->bytes).fetch_add(bytes) + bytes;
  now.files = shared(shared_->files).fetch_add(1) + 1;
  now.last_trim = shared(shared_->last_trim).load();
  if (due(now) || short_of_space(bytes, now)) start_trim();
}

bool AutoTrimmer::short_of_space(std::uint64_t bytes, const Shared& now) noexcept {
  if (!limits_.min_free) return false;
  const std::uint64_t written = space_written_.fetch_add(bytes) + bytes;
  const std::int64_t clock = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
  std::int64_t next = next_space_check_.load();
  if (clock < next && written < space_slack_.load()) return false;
  const std::int64_t after = clock + std::chrono::nanoseconds(kFreeSpaceCheck).count();
  if (!next_space_check_.compare_exchange_strong(next, after)) return false;  // another checks
  space_written_.store(0);
  const auto space = filesystem_space(store_.root().string());
  if (!space) return false;
  space_slack_.store(slack(limits_.min_free->on(space->size), limits_.low_water));
  if (free_space_deficit(*limits_.min_free, limits_.low_water, *space) == 0) return false;
  return std::time(nullptr) - now.last_trim >= kFreeSpaceRetry;
}

void AutoTrimmer::start_trim() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;  // this process trims already; what it writes counts for the next one
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) return;  // another process is trimming
  if (thread_.joinable()) thread_.join();            // the last one, finished
  reset_counts();  // when the trim begins: what is written from now on is not in its scan
  running_ = true;
  try {
    thread_ = std::thread([this] { run_trim(fd_); });
  } catch (const std::system_error&) {  // no thread to be had: try again on a later write
    running_ = false;
    ::flock(fd_, LOCK_UN);
  }
}

void AutoTrimmer::reset_counts() {
  shared(shared_->bytes).store(0);
  shared(shared_->files).store(0);
  shared(shared_->last_trim).store(std::time(nullptr));
}

void AutoTrimmer::run_trim(int lock_fd) {
  TrimOptions options;
  static_cast<CacheLimits&>(options) = limits_;
  options.threads = kTrimThreads;
  for (unsigned round = 0; round < kTrimRounds; ++round) {
    try {
      trim(store_, options);
    } catch (const std::exception&) {
      break;  // an unreadable pin, a root gone, an invalid bound: the next due write tries again
    }
    // What was published while the trim ran is not in its scan, and the writes that would have
    // started the next trim came while this one held the lock. When they are a trim's worth
    // already, trim again now: the writers may have stopped, and nothing else would.
    Shared now;
    now.bytes = shared(shared_->bytes).load();
    now.files = shared(shared_->files).load();
    now.last_trim = shared(shared_->last_trim).load();
    if (!limits_.max_bytes && !limits_.max_files) break;  // age alone: not due again this soon
    if (!due(now)) break;
    reset_counts();
  }
  ::flock(lock_fd, LOCK_UN);
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

}  // namespace cas::detail
