// migrate: move every file under a non-preferred layout to the preferred one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "store/quarantine.hpp"
#include "store/store_engine.hpp"

namespace cas {
namespace {

using detail::count;
using detail::StoreEngine;
using detail::StoreFile;

enum class Outcome { moved, duplicate, vanished, failed };

// Gives `name` (in parent_fd) its preferred name `target` (relative to root_fd), then drops the
// old name. Both names exist for a moment, never neither, so a concurrent reader always finds
// the file; a crash in between leaves two names of one inode, which the next run resolves as a
// duplicate. `hash` names a copy it quarantines.
Outcome move_file(StoreEngine& engine, const WalkEntry& e, std::string_view hash,
                  const std::string& target, MigrateMethod method) {
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
                                        std::string(Store::kQuarantineDirName), hash, old_st);
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
        engine.fail(detail::parent_of(target), "mkdir", merr);
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

// Whether the preferred copy `f` was there before the run began. The walk may reach a file
// this run has just moved (into a directory it is still reading). Link and rename update the
// inode's ctime, so once this run has moved anything, a preferred file changed since the start
// is not counted as "in place". (Finishing a move that a killed run left half done changes the
// ctime too.)
bool was_in_place(const StoreFile& f, MigrateResult& result, const timespec& start) {
  if (detail::current(result.moved) + detail::current(result.duplicates_removed) == 0) return true;
  struct stat st;
  return ::fstatat(f.entry.parent_fd, std::string(f.entry.name).c_str(), &st,
                   AT_SYMLINK_NOFOLLOW) != 0 ||
         !detail::later_than(st.st_ctim, start);
}

}  // namespace

MigrateResult migrate(Store& store, const MigrateOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("migrate", store.root().string());
  const Layout& preferred = *store.layouts().front();
  const timespec start = detail::start_instant();
  MigrateResult result;

  StoreEngine engine(store, options);
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      count(result.unrecognized);
    } else if (f.layout_index == 0) {
      if (was_in_place(f, result, start)) count(result.already_in_place);
    } else if (options.dry_run) {
      count(result.moved);
    } else {
      switch (move_file(engine, f.entry, f.hash, preferred.lookup(f.hash), options.method)) {
        case Outcome::moved:
          count(result.moved);
          break;
        case Outcome::duplicate:
          count(result.duplicates_removed);
          break;
        case Outcome::vanished:
          count(result.already_in_place);
          break;
        case Outcome::failed:
          break;
      }
    }
  };
  if (!options.dry_run) {
    // Any failure means the directory is still in use (ENOTEMPTY, EEXIST), already gone
    // (ENOENT) or not ours to remove: never an error.
    engine.on_directory_exit = [&](const WalkEntry& e) {
      if (detail::remove_directory(e) == 0) count(result.directories_removed);
    };
  }
  engine.run(result);
  return result;
}

}  // namespace cas
