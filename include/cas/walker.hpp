// A parallel directory-tree walk built for I/O, not for cores.
//
// `find` and readdir loops keep one directory read in flight; on a cold cache or a high-latency
// device most of their time is spent waiting for one inode or directory block at a time. A
// Walker keeps many reads in flight: it runs up to `threads` workers (started as queued
// directories need them, so a small walk costs no thread starts), each reading directories with
// getdents64 into a reused buffer and opening subdirectories with openat relative to their
// parent's descriptor, so the path length is unlimited. Work is per-worker LIFO (depth-first,
// which bounds memory) with stealing of the oldest item when a worker runs dry.
//
//   cas::Walker walker;
//   walker.walk("/var/cache/store", [](const cas::WalkEntry& e) {
//     if (e.type == DT_REG) ::unlinkat(e.parent_fd, std::string(e.name).c_str(), 0);
//     return cas::WalkAction::proceed;
//   });
//
// Memory is bounded: only the directories still to be read (and their ancestors) are held, and
// a directory with very many subdirectories is read in slices so its pending children stay
// bounded. Open directories are capped (WalkOptions::max_open_directories); the soft
// RLIMIT_NOFILE is raised to the hard limit on first use. Evicted parent descriptors are
// reopened through their ancestors when needed.
//
// Thread-safety: the visitor and every hook are called concurrently from the walker's threads
// (including the thread that called walk()); they must be thread-safe. Walker::stop() may be
// called from any thread. One Walker runs one walk at a time; distinct Walkers are independent.
#pragma once

#include <dirent.h>  // DT_* values
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/filesystem/path.hpp>

namespace cas {

namespace detail {
class WalkRun;
}  // namespace detail

// One entry seen by the walk. Every pointer, view and descriptor in it is valid only during the
// call it is passed to; copy what you keep. Descriptors belong to the walker: never close them.
struct WalkEntry {
  int root_fd;                // fd of the walk root directory
  int parent_fd;              // fd of the directory holding the entry
  std::string_view name;      // the entry's name in its directory (d_name)
  std::string_view rel_path;  // path relative to the walk root, '/'-separated, no leading "./"
  unsigned char type;         // DT_* value; DT_UNKNOWN is resolved with fstatat (no follow).
                              // With follow_symlinks, a symlink to an existing target has the
                              // target's type (as find -L); a dangling one stays DT_LNK.
  ino_t ino;                  // d_ino (the target's inode for a followed symlink)
  int depth;                  // 1 for the root's children
  const struct stat* st;      // non-null when WalkOptions::stat_entries or a stat was needed
                              // anyway (DT_UNKNOWN, a followed symlink)
  unsigned worker;            // index of the calling worker, in [0, Walker::threads()): lets a
                              // visitor keep per-worker state (buffers, counters) without locks
};

// What the visitor wants next.
enum class WalkAction {
  proceed,  // go on
  skip,     // do not descend into this entry (directories; same as proceed otherwise)
  stop,     // end the whole walk as soon as possible
};

// An entry that could not be read. path is the walk root joined with the relative path (as
// find prints it); operation is the failed call ("open", "getdents64", "stat", "fstat") or
// "follow" for a symlink leading to an ancestor; code is the errno value (ELOOP for a loop).
struct WalkError {
  std::string path;
  std::string operation;
  int code;
};

enum class ErrorAction { proceed, stop };

struct WalkOptions {
  // Worker threads at most; 0 picks default_walk_threads(). The calling thread is one of them;
  // the others start when more directories are queued than the running workers can take.
  unsigned threads = 0;
  // As find -maxdepth: -1 unlimited, 0 visits nothing, 1 only the root's children, ...
  int max_depth = -1;
  // Do not descend into mount points: directories on another device than the root, or where a
  // mount of the root's own filesystem starts (a bind mount; Linux 5.8+). They are still
  // visited.
  bool xdev = false;
  // Follow symlinks to directories (and report symlinks with their target's type). A symlink
  // leading to one of its own ancestors is reported to on_error (ELOOP, "follow") and not
  // entered. The root itself is always followed if it is a symlink.
  bool follow_symlinks = false;
  // Call the visitor for directories too, before descending into them; WalkAction::skip then
  // keeps the walk out of that directory. The root itself is never visited.
  bool report_directories = false;
  // lstat (stat when following) every entry and fill WalkEntry::st. Off, the walk relies on
  // d_type and needs no per-entry stat on filesystems that provide it (ext4, xfs, btrfs, tmpfs).
  bool stat_entries = false;
  // Read the subdirectories of each directory in inode order, meant to turn scattered
  // inode-table reads into sweeps on a cold cache (as GNU fts does for large directories).
  // Measured on ext4 it makes no difference beyond noise (ext4's inode-table readahead already
  // absorbs those reads; bench/results/walk.md); it costs one sort per directory.
  bool inode_order = true;
  // Cap on directory descriptors the walker keeps open; 0 picks min(4096, RLIMIT_NOFILE / 2).
  // Descriptors in active use (a directory being read) may exceed it briefly.
  unsigned max_open_directories = 0;
  // Returns true to keep the walk out of a directory (called after the visitor, if
  // report_directories). Called concurrently.
  std::function<bool(const WalkEntry&)> prune;
  // Called for each entry as it is read, before any stat (st is null, type is d_type and may be
  // DT_UNKNOWN); false drops the entry: it is neither stat'ed, visited nor entered. Lets a
  // caller that wants part of a directory (a part of a store's hash-prefix directory) skip the
  // stat_entries stat of the rest. Called concurrently.
  std::function<bool(const WalkEntry&)> filter;
  // Called for every entry that cannot be read; the default proceeds. Entries that vanish
  // during the walk (ENOENT, or a directory replaced by a non-directory) are skipped silently
  // and never reported. Called concurrently.
  std::function<ErrorAction(const WalkError&)> on_error;
  // Post-order hook: called once for each directory below the root that the walk entered, after
  // the visitor has returned for every entry of its whole subtree and on_directory_exit has
  // returned for every subdirectory, with parent_fd and name valid (st is null). A caller may
  // unlinkat(parent_fd, name, AT_REMOVEDIR) there to remove emptied directories bottom-up.
  // Not called for directories that were not entered (pruned, skipped, at max_depth, another
  // device, unreadable), nor after the walk was stopped. Called concurrently.
  std::function<void(const WalkEntry&)> on_directory_exit;
};

// Returns what the visitor wants next. Called concurrently from the walker's threads.
using WalkVisitor = std::function<WalkAction(const WalkEntry&)>;

struct WalkStats {
  std::uint64_t directories = 0;  // directories read (the root included)
  std::uint64_t entries = 0;      // entries passed to the visitor
  std::uint64_t errors = 0;       // errors found (each passed to on_error, when set)
  bool stopped = false;  // the walk ended early (stop(), WalkAction::stop, ErrorAction::stop)
};

class Walker {
 public:
  explicit Walker(WalkOptions options = {});
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  // Walks the tree under `root` (which must be a directory, or a symlink to one), calling
  // `visit` for every entry below it ("." and ".." excluded) and the hooks of the options.
  // Blocks until the walk is complete or stopped. Returns the counts.
  // Throws cas::PermissionError or cas::IoError when the root cannot be opened (ENOTDIR when
  // it is not a directory). An exception thrown by the visitor or a hook stops the walk and is
  // rethrown here once every worker has finished. Not reentrant on one Walker.
  WalkStats walk(const boost::filesystem::path& root, const WalkVisitor& visit);

  // Ends the walk in progress as soon as possible: no new entry is visited once every worker has
  // noticed (each finishes at most the call it is in). Thread-safe; callable from a visitor or
  // another thread. A later walk() starts afresh.
  void stop() noexcept;

  // The number of worker threads a walk uses (options.threads, or the default when 0).
  unsigned threads() const noexcept { return threads_; }

 private:
  WalkOptions options_;
  unsigned threads_;
  std::mutex run_mu_;               // guards run_ against stop() racing the end of a walk
  detail::WalkRun* run_ = nullptr;  // the walk in progress, if any
};

// The thread count used when WalkOptions::threads is 0: 64, chosen by measurement. Directory
// reads are latency-bound, so many more threads than cores help on a cold cache (see
// bench/results/walk.md). Overridable with the CAS_WALK_THREADS environment variable (1-1024).
unsigned default_walk_threads();

}  // namespace cas
