// Internal: the one engine under every store-wide operation (migrate, purge, gc, sync,
// verify, stats). A parallel Walker lists the store; each worker classifies the entries it
// reads (which layout places the file, or none) and runs the operation's handler on them right
// away, relative to the directory descriptor it already holds. The walker's threads are the
// bounded pool of file operations, so reads and metadata writes overlap without a second
// queue, and memory stays bounded by the walker's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "cas/walker.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {

// Where a root-relative path lies: content, or one of the store's hidden areas (the names
// are Store::kTempDirName, kQuarantineDirName and kReservedPrefix).
enum class Area { content, temp, quarantine, other_reserved };

// The one classifier of root-relative paths by area.
Area area_of(std::string_view rel_path);

// A non-directory entry of the content area, classified.
struct StoreFile {
  const WalkEntry& entry;
  const Layout* layout;      // the layout placing it here, or nullptr when unrecognized
  std::size_t layout_index;  // index in the store's layouts (0 = preferred)
  std::string_view hash;     // its hash (Layout::hash_at: the file name, or bazel-repo's
                             // directory), when recognized
};

class StoreEngine {
 public:
  StoreEngine(const Store& store, const OperationOptions& options);

  // Handlers, called concurrently from the walker's threads. Unset handlers are skipped.
  std::function<void(const StoreFile&)> on_file;             // content, non-directories
  std::function<void(const WalkEntry&)> on_directory;        // content directories (pre-order)
  std::function<void(const WalkEntry&)> on_directory_exit;   // content directories (post-order)
  std::function<void(const WalkEntry&)> on_temp_file;        // files in .cas-tmp
  std::function<void(const WalkEntry&)> on_quarantine_file;  // files in .cas-quarantine
  // Entries directly inside a top-level directory that the run's sub-scope (scope.hpp) leaves to
  // other runs (not entered): stats sees from them that the directory is not empty.
  std::function<void(const WalkEntry&)> on_out_of_scope;

  // Called for every entry the walker cannot read; unset, each is counted by fail().
  std::function<void(const WalkError&)> on_walk_error;

  bool stat_entries = false;  // fill WalkEntry::st for every entry
  bool one_file_system = true;

  // Walks the store. A missing root is an empty store. Throws IoError/PermissionError when
  // the root exists but cannot be opened; rethrows what a handler throws.
  void run();

  // run(), then moves the failures it collected into `errors` (an operation's result).
  void run(OperationErrors& errors) {
    run();
    take_errors(errors);
  }

  // Records a failure (counted, the first kMaxErrors kept). Every message reads
  // "<operation> <path>: <reason>", as IoError's do: fail(rel, "unlink", EACCES) keeps
  // "unlink /root/58/5891...: Permission denied"; fail(rel, reason) keeps "<path>: <reason>"
  // for a failure that is no one call's; fail_message keeps a message that already names its
  // path (an exception's what()).
  void fail(std::string_view rel_path, const std::string& operation, int code);
  void fail(std::string_view rel_path, const std::string& reason);
  void fail_message(std::string message);

  // Adds processed bytes to the progress figures.
  void add_bytes(std::uint64_t n) { bytes_.fetch_add(n, std::memory_order_relaxed); }

  // Moves the collected failures into `out`.
  void take_errors(OperationErrors& out);

  // The store root joined with a root-relative path, for messages and path-based calls.
  std::string absolute(std::string_view rel_path) const;

  const Store& store() const { return store_; }

 private:
  void count_files();
  void tick();
  void report(bool final);

  const Store& store_;
  const OperationOptions& options_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::optional<std::uint64_t> total_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<std::int64_t> next_report_ns_{0};
  std::mutex report_mu_;
  std::mutex errors_mu_;
  OperationErrors errors_;
};

// Adds `n` to a counter of an operation's result from any of the walker's threads (handlers
// count straight into the result they return, with no copy at the end).
inline void count(std::uint64_t& counter, std::uint64_t n = 1) {
  std::atomic_ref<std::uint64_t>(counter).fetch_add(n, std::memory_order_relaxed);
}

// Reads a counter that other walker threads may be adding to.
inline std::uint64_t current(std::uint64_t& counter) {
  return std::atomic_ref<std::uint64_t>(counter).load(std::memory_order_relaxed);
}

// The run's start, for comparing with inode timestamps (migrate's ctimes, trim's mtimes).
// Filesystems stamp changes with either the coarse clock (which lags real time by up to a
// tick) or, with multigrain timestamps, the fine one. This takes the fine clock, then waits for
// the coarse clock to pass it: every change made before the call has a timestamp at or before
// the returned instant, every later change one at or after it.
timespec start_instant();

// Whether `t` is strictly after `start`.
inline bool later_than(const timespec& t, const timespec& start) {
  return t.tv_sec > start.tv_sec || (t.tv_sec == start.tv_sec && t.tv_nsec > start.tv_nsec);
}

// Removes the directory `e` as the walk leaves it. Returns 0, or the errno of the rmdir:
// ENOTEMPTY/EEXIST when something is still in it, ENOENT when it is gone already.
int remove_directory(const WalkEntry& e);

// Unlinks the file `e` relative to its parent. Returns true when it is gone (ENOENT: someone
// else removed it); otherwise records the failure on `engine` and returns false.
bool unlink_file(StoreEngine& engine, const WalkEntry& e);

// mkdir -p of the directories of `rel_path` (not its last component) relative to `root_fd`.
// Returns 0 or the errno of the mkdirat that failed (EEXIST is success).
int make_parents_at(int root_fd, std::string_view rel_path);

}  // namespace cas::detail
