// purge (remove all content) and gc (remove every hash not in a keep set).
#include <fcntl.h>
#include <unistd.h>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "store_engine.hpp"

namespace cas {
namespace {

using detail::StoreEngine;
using detail::StoreFile;

// `must_empty` (purge): every directory should go, so a refusal is a failure. gc keeps
// directories that hold kept files, where rmdir may answer EACCES before ENOTEMPTY.
void remove_if_empty(StoreEngine& engine, const WalkEntry& e, std::atomic<std::uint64_t>& removed,
                     bool must_empty) {
  if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), AT_REMOVEDIR) == 0) {
    removed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // In use (ENOTEMPTY/EEXIST: something kept, or a concurrent insert), gone (ENOENT) or a
  // mount point (EBUSY) are expected; anything else (EACCES, EROFS, EIO) left content behind.
  const int err = errno;
  if (must_empty && err != ENOTEMPTY && err != EEXIST && err != ENOENT && err != EBUSY) {
    engine.fail(e.rel_path, "rmdir", err);
  }
}

// Unlinks `e` relative to its parent; true when it is gone (ENOENT: someone else removed it).
bool unlink_entry(StoreEngine& engine, const WalkEntry& e) {
  if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), 0) == 0 || errno == ENOENT) return true;
  engine.fail(e.rel_path, "unlink", errno);
  return false;
}

}  // namespace

PurgeResult purge(Store& store, const OperationOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("remove", store.root().string());
  std::atomic<std::uint64_t> files{0}, dirs{0};
  StoreEngine engine(store, options);
  // The walk never follows symlinks (a link to a directory is unlinked, not entered) and,
  // with one_file_system, never enters a mount point, which then keeps its parents too.
  engine.one_file_system = true;
  auto remove_file = [&](const WalkEntry& e) {
    if (options.dry_run || unlink_entry(engine, e)) files.fetch_add(1, std::memory_order_relaxed);
  };
  engine.on_file = [&](const StoreFile& f) { remove_file(f.entry); };
  // Quarantined files are content too; the temp area is left to the writers using it (stale
  // temp files are reaped by verify).
  engine.on_quarantine_file = remove_file;
  if (!options.dry_run) {
    engine.on_directory_exit = [&](const WalkEntry& e) { remove_if_empty(engine, e, dirs, true); };
  }
  engine.run();
  if (!options.dry_run) {
    // The quarantine directory itself, if it is now empty.
    std::string q = engine.absolute(Store::kQuarantineDirName);
    if (::rmdir(q.c_str()) == 0) dirs.fetch_add(1);
  }
  PurgeResult result;
  result.files_removed = files;
  result.directories_removed = dirs;
  engine.take_errors(result);
  return result;
}

GcResult gc(Store& store, const std::unordered_set<std::string>& keep,
            const OperationOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("remove", store.root().string());
  std::atomic<std::uint64_t> kept{0}, removed{0}, unrecognized{0}, dirs{0};
  StoreEngine engine(store, options);
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      unrecognized.fetch_add(1, std::memory_order_relaxed);
    } else if (keep.count(std::string(f.hash))) {
      kept.fetch_add(1, std::memory_order_relaxed);
    } else if (options.dry_run || unlink_entry(engine, f.entry)) {
      removed.fetch_add(1, std::memory_order_relaxed);
    }
  };
  if (!options.dry_run) {
    engine.on_directory_exit = [&](const WalkEntry& e) { remove_if_empty(engine, e, dirs, false); };
  }
  engine.run();
  GcResult result;
  result.kept = kept;
  result.removed = removed;
  result.unrecognized = unrecognized;
  result.directories_removed = dirs;
  engine.take_errors(result);
  return result;
}

}  // namespace cas
