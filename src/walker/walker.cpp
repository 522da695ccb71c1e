#include "cas/walker.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cas/unique_fd.hpp"
#include "util/posix_error.hpp"
#include "walker/walker_run.hpp"

namespace cas {
namespace {

// Measured on the 2-core ext4 VM of bench/results/walk.md (V0 store, 200k directories): cold,
// the walk keeps getting faster up to 16-64 threads, since each blocked thread is one more read
// in flight (16: 4.7 s, 32: 4.4 s, 64: 4.5 s median, 3.6 s best; 1: 18.8 s); warm, the walk is
// CPU-bound and flat from 1 to 64 threads (2.1-2.2 s), worse at 128. 64 keeps the cold gain at
// ~18 MiB peak RSS, against ~31 MiB for 128.
constexpr unsigned kDefaultThreads = 64;
// Headroom kept for the caller's own descriptors when the cap is derived from RLIMIT_NOFILE.
constexpr unsigned kMaxOpenDirectories = 4096;

// Returns the soft RLIMIT_NOFILE after raising it to the hard limit (once per process): a walk
// with many workers may hold thousands of directory descriptors, and the default soft limit
// (often 1024) is an accident of history, not a policy.
rlim_t raise_fd_limit() {
  static const rlim_t limit = [] {
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return rlim_t{1024};
    if (rl.rlim_cur < rl.rlim_max) {
      struct rlimit raised = rl;
      raised.rlim_cur = rl.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    return rl.rlim_cur;
  }();
  return limit;
}

}  // namespace

unsigned default_walk_threads() {
  if (const char* env = std::getenv("CAS_WALK_THREADS")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= 1024) return static_cast<unsigned>(n);
  }
  return kDefaultThreads;
}

Walker::Walker(WalkOptions options)
    : options_(std::move(options)),
      threads_(options_.threads ? options_.threads : default_walk_threads()) {}

WalkStats Walker::walk(const boost::filesystem::path& root, const WalkVisitor& visit) {
  const rlim_t fd_limit = raise_fd_limit();
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_last_error("open", root.string());
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_last_error("fstat", root.string());
  if (options_.max_depth == 0) return WalkStats{};

  unsigned max_open = options_.max_open_directories;
  if (max_open == 0) {
    max_open = static_cast<unsigned>(
        std::min<rlim_t>(kMaxOpenDirectories, std::max<rlim_t>(fd_limit / 2, 16)));
  }
  detail::WalkRun run(options_, threads_, max_open, fd.release(), st, root.string(), visit);
  {
    std::lock_guard lock(run_mu_);
    run_ = &run;
  }
  // Workers 1... start as queued work needs them (WorkQueues::claim_workers), from whichever
  // worker pushed it; once worker 0 returns the walk is over and no more may start.
  std::mutex threads_mu;
  bool closed = false;
  std::vector<std::thread> threads;
  run.set_worker_starter([&](unsigned first, unsigned count) {
    std::lock_guard lock(threads_mu);
    if (closed) return;
    try {
      for (unsigned w = first; w < first + count; ++w) {
        threads.emplace_back([&run, w] { run.run_worker(w); });
      }
    } catch (...) {
      // Could not start a thread: the ones running finish the walk; a partial pool is still a
      // correct walk, only slower, so go on rather than fail.
    }
  });
  run.run_worker(0);
  {
    std::lock_guard lock(threads_mu);
    closed = true;
  }
  for (auto& t : threads) t.join();
  run.finish();
  {
    std::lock_guard lock(run_mu_);
    run_ = nullptr;
  }
  if (auto e = run.exception()) std::rethrow_exception(e);
  return run.stats();
}

void Walker::stop() noexcept {
  std::lock_guard lock(run_mu_);
  if (run_) run_->request_stop();
}

}  // namespace cas
