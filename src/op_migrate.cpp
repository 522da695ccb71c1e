// migrate: move every file under a non-preferred layout to the preferred one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "quarantine.hpp"
#include "store_engine.hpp"

namespace cas {
namespace {

using detail::StoreEngine;
using detail::StoreFile;

// Removes an emptied directory as the walk leaves it; any failure means it is still in use
// (ENOTEMPTY, EEXIST), already gone (ENOENT) or not ours to remove — never an error.
void remove_if_empty(const WalkEntry& e, std::atomic<std::uint64_t>& removed) {
  if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), AT_REMOVEDIR) == 0) {
    removed.fetch_add(1, std::memory_order_relaxed);
  }
}

enum class Outcome { moved, duplicate, vanished, failed };

// Gives `name` (in parent_fd) its preferred name `target` (relative to root_fd), then drops the
// old name. Both names exist for a moment, never neither, so a concurrent reader always finds
// the file; a crash in between leaves two names of one inode, which the next run resolves as a
// duplicate.
Outcome move_file(StoreEngine& engine, const WalkEntry& e, const std::string& target,
                  MigrateMethod method) {
  const std::string name(e.name);
  for (int attempt = 0; attempt < 8; ++attempt) {
    int r;
    if (method == MigrateMethod::link_unlink) {
      r = ::linkat(e.parent_fd, name.c_str(), e.root_fd, target.c_str(), 0);
    } else {
      // RENAME_NOREPLACE: a preferred copy that already exists wins (IPS semantics).
      r = ::renameat2(e.parent_fd, name.c_str(), e.root_fd, target.c_str(), RENAME_NOREPLACE);
    }
    int err = r == 0 ? 0 : errno;
    if (err == 0) {
      if (method == MigrateMethod::rename) return Outcome::moved;
      if (::unlinkat(e.parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
        engine.fail(e.rel_path, "unlink", errno);
        return Outcome::failed;
      }
      return Outcome::moved;
    }
    if (err == EEXIST) {
      // The preferred copy exists (inserted, migrated by a lookup, or left by a crashed run
      // between link and unlink): the old name is a duplicate. Unless the two are different
      // files of different sizes: then one is damaged (say, an empty file a crash left under
      // Durability::none), and deleting the old copy on that guess could delete the good one.
      struct stat old_st, new_st;
      if (::fstatat(e.parent_fd, name.c_str(), &old_st, AT_SYMLINK_NOFOLLOW) == 0 &&
          ::fstatat(e.root_fd, target.c_str(), &new_st, AT_SYMLINK_NOFOLLOW) == 0 &&
          (old_st.st_ino != new_st.st_ino || old_st.st_dev != new_st.st_dev) &&
          old_st.st_size != new_st.st_size) {
        int q = detail::quarantine_file(e.parent_fd, name, e.root_fd,
                                        std::string(Store::kQuarantineDirName), e.name, old_st);
        if (q > 0) {
          engine.fail(e.rel_path, "quarantine", q);
        } else if (q == 0) {
          engine.fail(e.rel_path, "differs in size from " + target +
                                      " (one of them is damaged); "
                                      "moved to " +
                                      std::string(Store::kQuarantineDirName) + ", run verify");
        }
        return Outcome::failed;
      }
      if (::unlinkat(e.parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
        engine.fail(e.rel_path, "unlink", errno);
        return Outcome::failed;
      }
      return Outcome::duplicate;
    }
    if (err == ENOENT) {
      struct stat st;
      if (::fstatat(e.parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return Outcome::vanished;  // a concurrent lookup or remove got there first
      }
      // The preferred directory is missing (or was just pruned by someone): create it.
      if (int merr = detail::make_parents_at(e.root_fd, target); merr != 0) {
        engine.fail(e.rel_path, "mkdir " + std::string(detail::parent_of(target)), merr);
        return Outcome::failed;
      }
      continue;
    }
    if (method == MigrateMethod::link_unlink &&
        (err == EPERM || err == EOPNOTSUPP || err == EMLINK || err == EXDEV)) {
      // No hard links here (or too many): fall back to a rename.
      method = MigrateMethod::rename;
      continue;
    }
    engine.fail(e.rel_path, method == MigrateMethod::rename ? "rename" : "link", err);
    return Outcome::failed;
  }
  engine.fail(e.rel_path, "the preferred directory keeps disappearing");
  return Outcome::failed;
}

// The run's start, for comparing with inode ctimes. Filesystems stamp changes with either the
// coarse clock (which lags real time by up to a tick) or, with multigrain timestamps, the
// fine one. Take the fine clock, then wait for the coarse clock to pass it: every change made
// before this call has a ctime at or before the returned instant, every later change a ctime
// at or after it.
timespec start_instant() {
  timespec start, coarse;
  ::clock_gettime(CLOCK_REALTIME, &start);
  do {
    ::clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
  } while (coarse.tv_sec < start.tv_sec ||
           (coarse.tv_sec == start.tv_sec && coarse.tv_nsec <= start.tv_nsec));
  return start;
}

bool changed_since(const struct stat& st, const timespec& t) {
  return st.st_ctim.tv_sec > t.tv_sec ||
         (st.st_ctim.tv_sec == t.tv_sec && st.st_ctim.tv_nsec > t.tv_nsec);
}

}  // namespace

MigrateResult migrate(Store& store, const MigrateOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("migrate", store.root().string());
  const Layout& preferred = *store.layouts().front();
  std::atomic<std::uint64_t> moved{0}, in_place{0}, duplicates{0}, unrecognized{0}, dirs{0};
  const timespec start = start_instant();

  StoreEngine engine(store, options);
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      unrecognized.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (f.layout_index == 0) {
      // The walk may reach a file this run has just moved (into a directory it is still
      // reading). Link and rename update the inode's ctime, so once this run has moved
      // anything, a preferred file changed since the start is not counted as "in place".
      // (Finishing a move that a killed run left half done changes the ctime too.)
      if (moved.load(std::memory_order_relaxed) + duplicates.load(std::memory_order_relaxed) > 0) {
        struct stat st;
        if (::fstatat(f.entry.parent_fd, std::string(f.entry.name).c_str(), &st,
                      AT_SYMLINK_NOFOLLOW) == 0 &&
            changed_since(st, start)) {
          return;
        }
      }
      in_place.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (options.dry_run) {
      moved.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    switch (move_file(engine, f.entry, preferred.lookup(f.hash), options.method)) {
      case Outcome::moved:
        moved.fetch_add(1, std::memory_order_relaxed);
        break;
      case Outcome::duplicate:
        duplicates.fetch_add(1, std::memory_order_relaxed);
        break;
      case Outcome::vanished:
        in_place.fetch_add(1, std::memory_order_relaxed);
        break;
      case Outcome::failed:
        break;
    }
  };
  if (!options.dry_run) {
    engine.on_directory_exit = [&](const WalkEntry& e) { remove_if_empty(e, dirs); };
  }
  engine.run();

  MigrateResult result;
  result.moved = moved;
  result.already_in_place = in_place;
  result.duplicates_removed = duplicates;
  result.unrecognized = unrecognized;
  result.directories_removed = dirs;
  engine.take_errors(result);
  return result;
}

}  // namespace cas
