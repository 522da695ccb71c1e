// verify: re-hash every file in parallel; quarantine mismatches; reap stale temp files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/unique_fd.hpp"
#include "store/quarantine.hpp"
#include "store/store_engine.hpp"
#include "store/temp_area.hpp"

namespace cas {
namespace {

using detail::count;
using detail::StoreEngine;
using detail::StoreFile;

// Moves a corrupt file to .cas-quarantine/<hash>[.N] without replacing an earlier one.
// `checked` is the fstat of the descriptor that was hashed.
bool quarantine_file(StoreEngine& engine, const StoreFile& f, const struct stat& checked) {
  const WalkEntry& e = f.entry;
  // Named by the hash, not the file name: a bazel-repo store names every file "file".
  int err = detail::quarantine_file(e.parent_fd, std::string(e.name), e.root_fd,
                                    std::string(Store::kQuarantineDirName), f.hash, checked);
  if (err > 0) engine.fail(e.rel_path, "quarantine", err);
  return err == 0;
}

// One run's shared state, for the handlers called from the walker's threads.
struct Verification {
  const VerifyOptions& options;
  StoreEngine& engine;
  VerifyResult& result;
  std::mutex corrupt_mu;  // guards result.corrupt_paths
};

// The algorithm that judges `hash`, or nullopt when none does: a name of another digest's
// length than the one asked for would never match.
std::optional<HashAlgorithm> judge_of(std::string_view hash, const VerifyOptions& options) {
  auto algorithm = algorithm_for_length(hash.size());
  if (options.algorithm && algorithm != options.algorithm) return std::nullopt;
  return algorithm;
}

// Hashes one content file and records the verdict (and quarantines a mismatch when asked).
void check_file(Verification& v, const StoreFile& f, HashAlgorithm algorithm) {
  const std::string name(f.entry.name);
  UniqueFd fd(
      ::openat(f.entry.parent_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) v.engine.fail(f.entry.rel_path, "open", errno);
    return;  // ENOENT: removed or migrated meanwhile
  }
  std::string actual;
  try {
    actual = hash_fd(fd.get(), algorithm, v.engine.absolute(f.entry.rel_path));
  } catch (const Error& e) {
    v.engine.fail_message(e.what());  // it names the path that failed
    return;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    v.engine.fail(f.entry.rel_path, "stat", errno);
    return;
  }
  count(v.result.bytes, static_cast<std::uint64_t>(st.st_size));
  v.engine.add_bytes(static_cast<std::uint64_t>(st.st_size));
  if (actual == f.hash) {
    count(v.result.ok);
    return;
  }
  count(v.result.corrupt);
  {
    std::lock_guard<std::mutex> lock(v.corrupt_mu);
    v.result.corrupt_paths.emplace_back(f.entry.rel_path);
  }
  if (v.options.quarantine && quarantine_file(v.engine, f, st)) count(v.result.quarantined);
}

}  // namespace

VerifyResult verify(Store& store, const VerifyOptions& options) {
  if (options.quarantine && store.read_only()) {
    throw ReadOnlyError("quarantine", store.root().string());
  }
  VerifyResult result;
  StoreEngine engine(store, options);
  Verification v{options, engine, result, {}};
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout) {
      count(result.unrecognized);
    } else if (auto algorithm = judge_of(f.hash, options)) {
      check_file(v, f, *algorithm);
    } else {
      count(result.unknown_algorithm);
    }
  };
  if (!store.read_only() && options.reap_temp_older_than.count() > 0) {
    const std::time_t cutoff = std::time(nullptr) - options.reap_temp_older_than.count();
    engine.on_temp_file = [&, cutoff](const WalkEntry& e) {
      const int err = detail::reap_if_stale(e.parent_fd, std::string(e.name), cutoff);
      if (err == 0) {
        count(result.temp_reaped);
      } else if (err > 0 && err != ENOENT && err != EACCES && err != EPERM && err != EROFS) {
        // Not allowed to clean up is not a verification failure: a user who may only read
        // the store still gets a verdict on its content.
        engine.fail(e.rel_path, "unlink", err);
      }
    };
  }
  engine.run(result);
  std::sort(result.corrupt_paths.begin(), result.corrupt_paths.end());
  return result;
}

}  // namespace cas
