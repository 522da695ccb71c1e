// verify: re-hash every file in parallel; quarantine mismatches; reap stale temp files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "quarantine.hpp"
#include "store_engine.hpp"
#include "unique_fd.hpp"

namespace cas {
namespace {

using detail::StoreEngine;
using detail::StoreFile;

// Moves a corrupt file to .cas-quarantine/<hash>[.N] without replacing an earlier one.
// `checked` is the fstat of the descriptor that was hashed.
bool quarantine_file(StoreEngine& engine, const WalkEntry& e, const struct stat& checked) {
  int err = detail::quarantine_file(e.parent_fd, std::string(e.name), e.root_fd,
                                    std::string(Store::kQuarantineDirName), e.name, checked);
  if (err > 0) engine.fail(e.rel_path, "quarantine", err);
  return err == 0;
}

}  // namespace

VerifyResult verify(Store& store, const VerifyOptions& options) {
  const bool writes = options.quarantine || options.reap_temp_older_than.count() > 0;
  if (options.quarantine && store.read_only()) {
    throw ReadOnlyError("quarantine", store.root().string());
  }
  std::atomic<std::uint64_t> ok{0}, corrupt{0}, quarantined{0}, unknown{0}, unrecognized{0},
      reaped{0}, bytes{0};
  std::mutex corrupt_mu;
  std::vector<std::string> corrupt_paths;

  StoreEngine engine(store, options);
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      unrecognized.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto algorithm = algorithm_for_length(f.hash.size());
    // A name of another digest's length is not this algorithm's to judge: it would never match.
    if (options.algorithm && algorithm != options.algorithm) algorithm.reset();
    if (!algorithm) {
      unknown.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::string name(f.entry.name);
    UniqueFd fd(
        ::openat(f.entry.parent_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
      if (errno != ENOENT) engine.fail(f.entry.rel_path, "open", errno);
      return;  // ENOENT: removed or migrated meanwhile
    }
    std::string actual;
    try {
      actual = hash_fd(fd.get(), *algorithm, engine.absolute(f.entry.rel_path));
    } catch (const Error& e) {
      engine.fail(f.entry.rel_path, e.what());
      return;
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      engine.fail(f.entry.rel_path, "stat", errno);
      return;
    }
    bytes.fetch_add(static_cast<std::uint64_t>(st.st_size), std::memory_order_relaxed);
    engine.add_bytes(static_cast<std::uint64_t>(st.st_size));
    if (actual == f.hash) {
      ok.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    corrupt.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(corrupt_mu);
      corrupt_paths.emplace_back(f.entry.rel_path);
    }
    if (options.quarantine && quarantine_file(engine, f.entry, st)) {
      quarantined.fetch_add(1, std::memory_order_relaxed);
    }
  };
  if (writes && !store.read_only() && options.reap_temp_older_than.count() > 0) {
    const std::time_t cutoff = std::time(nullptr) - options.reap_temp_older_than.count();
    engine.on_temp_file = [&, cutoff](const WalkEntry& e) {
      // Re-stat just before deciding (as Bazel's cache collector does): a writer that is still
      // active keeps its file's mtime fresh, and only files older than the cutoff go.
      struct stat st;
      const std::string name(e.name);
      if (::fstatat(e.parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
      if (st.st_mtime >= cutoff) return;
      if (::unlinkat(e.parent_fd, name.c_str(), 0) == 0) {
        reaped.fetch_add(1, std::memory_order_relaxed);
      } else if (errno != ENOENT && errno != EACCES && errno != EPERM && errno != EROFS) {
        // Not allowed to clean up is not a verification failure: a user who may only read
        // the store still gets a verdict on its content.
        engine.fail(e.rel_path, "unlink", errno);
      }
    };
  }
  engine.run();

  VerifyResult result;
  result.ok = ok;
  result.corrupt = corrupt;
  result.quarantined = quarantined;
  result.unknown_algorithm = unknown;
  result.unrecognized = unrecognized;
  result.temp_reaped = reaped;
  result.bytes = bytes;
  std::sort(corrupt_paths.begin(), corrupt_paths.end());
  result.corrupt_paths = std::move(corrupt_paths);
  engine.take_errors(result);
  return result;
}

}  // namespace cas
