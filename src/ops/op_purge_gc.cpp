// purge (remove all content) and gc (remove every hash not in a keep set).
#include <fcntl.h>
#include <unistd.h>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "store/scope.hpp"
#include "store/store_engine.hpp"

namespace cas {
namespace {

using detail::count;
using detail::StoreEngine;
using detail::StoreFile;

// `must_empty` (purge): every directory should go, so a refusal is a failure. gc keeps
// directories that hold kept files, where rmdir may answer EACCES before ENOTEMPTY.
void remove_if_empty(StoreEngine& engine, const WalkEntry& e, std::uint64_t& removed,
                     bool must_empty) {
  const int err = detail::remove_directory(e);
  if (err == 0) {
    count(removed);
    return;
  }
  // In use (ENOTEMPTY/EEXIST: something kept, or a concurrent insert), gone (ENOENT) or a
  // mount point (EBUSY) are expected; anything else (EACCES, EROFS, EIO) left content behind.
  if (must_empty && err != ENOTEMPTY && err != EEXIST && err != ENOENT && err != EBUSY) {
    engine.fail(e.rel_path, "rmdir", err);
  }
}

}  // namespace

PurgeResult purge(Store& store, const PurgeOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("remove", store.root().string());
  PurgeResult result;
  StoreEngine engine(store, options);
  // The walk never follows symlinks (a link to a directory is unlinked, not entered) and,
  // with one_file_system, never enters a mount point, which then keeps its parents too.
  engine.one_file_system = true;
  auto remove_file = [&](const WalkEntry& e) {
    if (options.dry_run || detail::unlink_file(engine, e)) count(result.files_removed);
  };
  engine.on_file = [&](const StoreFile& f) {
    if (f.layout || options.remove_unrecognized) {
      remove_file(f.entry);
    } else {
      count(result.unrecognized);  // not ours: its directories stay too (ENOTEMPTY)
    }
  };
  // Quarantined files are content too; the temp area is left to the writers using it (stale
  // temp files are reaped by verify).
  engine.on_quarantine_file = remove_file;
  if (!options.dry_run) {
    engine.on_directory_exit = [&](const WalkEntry& e) {
      remove_if_empty(engine, e, result.directories_removed, true);
    };
  }
  engine.run(result);
  if (!options.dry_run && detail::in_scope(options, Store::kQuarantineDirName)) {
    // The quarantine directory itself, if it is now empty.
    std::string q = engine.absolute(Store::kQuarantineDirName);
    if (::rmdir(q.c_str()) == 0) ++result.directories_removed;
  }
  return result;
}

GcResult gc(Store& store, const std::unordered_set<std::string>& keep,
            const OperationOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("remove", store.root().string());
  const auto pins = pinned_hashes(store);
  GcResult result;
  StoreEngine engine(store, options);
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      count(result.unrecognized);
    } else if (std::string hash(f.hash); keep.count(hash) || pins.count(hash)) {
      count(result.kept);
    } else if (options.dry_run || detail::unlink_file(engine, f.entry)) {
      count(result.removed);
    }
  };
  if (!options.dry_run) {
    engine.on_directory_exit = [&](const WalkEntry& e) {
      remove_if_empty(engine, e, result.directories_removed, false);
    };
  }
  engine.run(result);
  return result;
}

}  // namespace cas
