// Internal: what stands behind cas::Store's public calls — the root, the options, the
// FileSystem seam, the temp area, and the path and directory helpers every mutation shares.
//
// Where each part lives:
//   store.cpp          construction, lookup (with migrate-on-lookup), open, remove, flush
//   store_paths.cpp    path joining, hash checks, mkdir -p, rename with retry, prune
//   store_publish.cpp  publishing an open temp file under its hash (durability, late errors)
//   store_insert.cpp   insert (move), copy and put: getting the bytes into a temp file
//   temp_area.cpp      the temp area: anonymous/named temp files, reaping crashed writers'
//   store_walk.cpp     Store::walk and cas::list on the store engine (store_engine.cpp)
//   auto_trim.cpp      automatic trimming (StoreOptions::limits)
//   store_remote.cpp   the remote tier: read through, write through, fetch-and-publish
//   incoming.cpp       the door for bytes from elsewhere (pull, downloads): Incoming
//
// Thread-safety: as Store's; every member is immutable after construction or atomic.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <boost/filesystem/path.hpp>

#include "cas/remote.hpp"
#include "cas/store.hpp"
#include "store/auto_trim.hpp"
#include "store/temp_area.hpp"

namespace cas::detail {

class StoreImpl {
 public:
  StoreImpl(boost::filesystem::path root, StoreOptions options);

  // --- store_paths.cpp
  // The root joined with a root-relative path.
  std::string abs(std::string_view rel) const;
  // The preferred layout, after checking that it accepts `hash` (throws InvalidHashError).
  const Layout& preferred_layout(std::string_view hash) const;
  // The layouts that can hold `hash` (the first is the preferred one). Throws
  // InvalidHashError when the preferred layout rejects it. Inline storage: this runs on every
  // operation, and a heap vector was a measurable part of an open (cas-bench's open_hit).
  boost::container::small_vector<const Layout*, 4> layouts_for(std::string_view hash) const;
  // Throws ReadOnlyError(operation, hash: its subject) on a read-only store.
  void check_writable(const char* operation, std::string_view hash) const;
  // Whether something is at `path` (lstat, into *st when given). Throws for errors other
  // than ENOENT/ENOTDIR.
  bool exists(const std::string& path, struct stat* st = nullptr) const;
  // Marks the file at `path` (whose lstat is `st`) used now, when the store is writable and
  // its mtime is older than touch_on_use. Refusals (EACCES, EPERM, EROFS) and a file that is
  // gone are ignored; other errors throw IoError.
  void touch_if_stale(const std::string& path, const struct stat& st);
  // mkdir -p of the directories of root-relative `rel` (not its last component), the root
  // included. Throws PermissionError/IoError.
  void create_parents(std::string_view rel);
  // rename(from, root/rel_to), recreating the target's directories when they are missing or
  // pruned meanwhile. Returns 0 or the errno of the last attempt (ENOENT: `from` is gone).
  int rename_into(const std::string& from, const std::string& rel_to);
  // Removes the directory root/rel_dir and its emptied parents, never the root. Best effort.
  void prune(std::string rel_dir);
  // Removes the copies of `hash` under every non-preferred layout (except the file `keep`, when
  // given) and prunes the directories it emptied, and that of `moved_from` when insert moved
  // that copy itself into place. Throws PermissionError/IoError.
  void remove_other_copies(std::string_view hash, const struct stat* keep,
                           const std::string& moved_from = "");

  // --- store.cpp
  // Hashes the open file `fd` (at `path`); a mismatch with `hash` quarantines it (writable
  // store) and throws CorruptError. Hashes of unknown length are not checked.
  void check_content(std::string_view hash, const std::string& path, int fd);

  // --- store_publish.cpp
  // Publishes the temp file `fd` (named `temp`, or "" when anonymous) under `hash`: fsync as
  // `durability` asks, link or rename it to its preferred path, then remove the other layouts'
  // copies (but `keep`). Owns `fd` and the temp from the call on: both are gone after it.
  void publish_fd(int fd, const std::string& temp, std::string_view hash, const struct stat* keep,
                  Durability durability);

  // --- store_insert.cpp
  // Throws CorruptError when verify_on_insert is set and `path` (or `fd` when >= 0) does not
  // hash to `hash`.
  void verify_source(std::string_view hash, const std::string& path, int fd);
  // Copies `from` into a temp file and publishes it; `moving` is insert's cross-filesystem
  // case (the mode is kept and the copy is durable before the call returns).
  void copy_in(std::string_view hash, const std::string& from, bool moving);
  // put and put_fd: streams `in` (named `from` in errors) into a temp file while hashing it,
  // publishes it (keeping the file `keep`, when given) and writes it through; returns the hash.
  std::string put_from(int in, const std::string& from, HashAlgorithm algorithm,
                       const struct stat* keep);

  // --- store_remote.cpp
  // A local miss of `hash`, asked of the remote (when there is one, the store is writable and
  // the hash has a known length): returns the path published, or nullopt. Remote failures are
  // reported; local ones (the temp file, the publish) throw as put's do.
  std::optional<boost::filesystem::path> read_through(std::string_view hash);
  // Uploads the file just published at `path` as `hash` to a read-write remote; failures are
  // reported, never thrown.
  void write_through(std::string_view hash, const std::string& path) noexcept;
  // Fetches `hashes` (valid remote hashes) from `remote` into temp files, with the remote's
  // requests in flight, and publishes each one that arrived verified (present). Returns the
  // results in order; reports nothing. Throws PermissionError/IoError when a temp file cannot be
  // made or a file published (the other temps are removed).
  std::vector<RemoteResult> fetch_and_publish(Remote& remote,
                                              const std::vector<std::string>& hashes,
                                              Durability durability);
  // Counts a failure, keeps its message and calls on_remote_error.
  void report_remote_error(const std::string& message, bool upload) noexcept;
  RemoteStats remote_stats() const;

  boost::filesystem::path root_;
  std::string root_str_;
  StoreOptions options_;
  std::shared_ptr<FileSystem> fs_;
  std::atomic<bool> read_only_;
  TempArea temp_;
  // Set when StoreOptions::limits has a bound and the store is writable (src/store/auto_trim.hpp).
  std::unique_ptr<AutoTrimmer> auto_trim_;

  // Tells the automatic trimmer, if any, that a file of `bytes` was published.
  void published(std::uint64_t bytes) noexcept {
    if (auto_trim_ && !read_only_.load()) auto_trim_->published(bytes);
  }

 private:
  struct RemoteCounters {
    std::atomic<std::uint64_t> fetched{0}, misses{0}, fetch_errors{0}, uploaded{0},
        upload_errors{0};
    mutable std::mutex mutex;  // guards last_error
    std::string last_error;
  };
  RemoteCounters remote_counters_;

  // Gives `fd` the name root/rel, creating missing directories; returns 0 or an errno.
  int link_temp(int fd, const std::string& rel);
  // Removes the file at `rel` if it is still `ours` (late close error), never another's.
  void take_back(const std::string& rel, const struct stat& ours);
};

// fsyncs the directory holding the absolute `path` so a new name in it survives a power loss
// (filesystems that refuse directory fsync are tolerated). Throws PermissionError/IoError.
void sync_parent_directory(FileSystem& fs, const std::string& path);

}  // namespace cas::detail
