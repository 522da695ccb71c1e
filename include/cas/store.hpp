// Store: a content-addressed file store under one root directory (IPS's FileManager).
//
// Files are named by their hash and placed by an ordered list of layouts; the first layout is
// the preferred one. A file found only under a later layout is migrated (renamed) to its
// preferred place when it is looked up, unless the store is read-only.
//
// On disk: `root/<layout path>` for content, and `root/.cas-tmp/` for files being written
// (never reported by walk). Every mutation is one atomic rename, link or unlink, so several
// threads and processes may share a root without locks: a reader sees a file either complete
// at one of its places or not at all.
//
// Thread-safety: a Store may be used from many threads at once; set_read_only() is atomic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/filesystem/path.hpp>

#include "cas/file_system.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/unique_fd.hpp"

namespace cas {

class Remote;  // cas/remote.hpp

namespace detail {
class StoreImpl;
class Incoming;
}  // namespace detail

// When a published file reaches stable storage.
enum class Durability {
  none,   // rely on the OS; after a power loss a recent file may be empty or missing
  file,   // fsync the file's content before it is renamed into place (the default)
  full,   // also fsync the directory after the rename, so the name survives a power loss
  batch,  // no per-file fsync; Store::flush() makes everything written so far durable with
          // one syncfs (bulk imports: many files, one sync)
};

// A free-space floor (CacheLimits::min_free, TrimOptions::min_free): a number of bytes, or a
// fraction of the filesystem's size, that must stay available (statvfs's f_bavail, what
// unprivileged users can still write) on the filesystem holding the store.
struct FreeSpace {
  std::uint64_t bytes = 0;  // used when fraction is 0
  double fraction = 0;      // in (0, 1): of the filesystem's size (f_blocks)
  static FreeSpace of_bytes(std::uint64_t n) { return {n, 0}; }
  static FreeSpace of_fraction(double f) { return {0, f}; }
  // The floor in bytes on a filesystem of `filesystem_bytes`.
  std::uint64_t on(std::uint64_t filesystem_bytes) const {
    return fraction > 0 ? static_cast<std::uint64_t>(fraction * filesystem_bytes) : bytes;
  }
};

// Bounds a store keeps itself within as it is written (see StoreOptions::limits).
struct CacheLimits {
  std::optional<std::uint64_t> max_bytes;       // total size of the content
  std::optional<std::uint64_t> max_files;       // number of content files
  std::optional<std::chrono::seconds> max_age;  // time since last use (mtime)
  // Keep this much free on the store's filesystem, whoever filled it: when less is available,
  // the least recently used content goes until (2 - low_water) times the floor is free, or the
  // content (but pins) is gone. Freed space is counted by the files' sizes, so a file that
  // other hard links keep (a sync'd mirror) frees less than counted.
  std::optional<FreeSpace> min_free;
  double low_water = 0.9;  // a trim goes down to this share of a bound
  bool any() const { return max_bytes || max_files || max_age || min_free; }
};

// What a Store may do with its remote (StoreOptions::remote).
enum class RemoteMode {
  read_only,   // read through only: nothing is uploaded
  read_write,  // read through, and upload what insert/copy/put publish (write through)
};

// What a Store's remote tier has done since the Store was made (Store::remote_stats()).
struct RemoteStats {
  std::uint64_t fetched = 0;        // read through: fetched, verified and published
  std::uint64_t misses = 0;         // read through: the remote does not have it either (404)
  std::uint64_t fetch_errors = 0;   // read through: failed or corrupt; reported
  std::uint64_t uploaded = 0;       // write through: stored by the remote
  std::uint64_t upload_errors = 0;  // write through: refused or failed; reported
  std::string last_error;           // the latest reported error ("" when none)
};

struct StoreOptions {
  bool read_only = false;
  // Lookup order; the first is preferred. Must not be empty.
  std::vector<std::shared_ptr<const Layout>> layouts = default_layouts();
  Durability durability = Durability::file;
  // Hash the source before insert/copy publishes it (algorithm by hash length: 40, 64, 128
  // hex); a mismatch throws CorruptError and publishes nothing. Off by default: it reads
  // every byte. Hashes of other lengths are not checked.
  bool verify_on_insert = false;
  // Hash the file when open() finds it; a mismatch moves it to root/.cas-quarantine and
  // throws CorruptError. Off by default: open then reads the whole file first.
  bool verify_on_open = false;
  // Temp files of crashed writers in root/.cas-tmp older than this (by mtime) are removed by
  // this Store's first write; zero turns it off. Named temps exist only while a copy is being
  // written (anonymous O_TMPFILE files are used where the filesystem has them), and a writer
  // keeps its temp's mtime fresh, so an hour is far beyond any live writer.
  std::chrono::seconds reap_temp_older_than{std::chrono::hours(1)};
  // Recency for least-recently-used eviction (cas::trim): a lookup or open that finds a file
  // whose mtime is older than this sets its mtime to now, so a file's mtime is its last use
  // give or take this much (the signal ccache, Bazel's disk cache and Go's build cache read).
  // A fresh file costs nothing more (the lookup stats it anyway); zero turns touching off. A
  // read-only store never touches; a touch refused (EACCES, EPERM, EROFS) is skipped.
  std::chrono::seconds touch_on_use{std::chrono::hours(1)};
  // Automatic trimming, for programs that embed a cache: with any bound set (and a writable
  // store), the store runs cas::trim with these bounds by itself, in a background thread, once
  // (1 - low_water) of a size or count bound has been published since the last trim began, by
  // all processes on this host together (counted in root/.cas-trim), or (1 - low_water) of the
  // age bound has passed. Inserts never wait for it; across processes at most one trims at a
  // time (an flock). So the store is scanned once per tenth of a bound written (default
  // low_water), never per insert, and can be over a bound by what is published while a trim
  // runs; when that is a tenth of a bound again by the time the trim ends, the trim runs once
  // more (up to four times in a row), so a store does not stay over its bound after the last
  // writes. A store that is already over its bounds when limits are first set is trimmed after
  // the first such tenth: call cas::trim to trim at once. With min_free, each writing process
  // also checks the free space (one statvfs) once a second while it publishes, and once per
  // (1 - low_water) of the floor it publishes, and trims when it is below the floor. The
  // Store's destructor waits for its trim to finish.
  CacheLimits limits{};
  // A second tier behind this store (cas::HttpRemote: a server shared by many machines), or
  // nullptr. With one:
  // - read through: a lookup/open that misses locally fetches the hash from the remote into a
  //   temp file in root/.cas-tmp, hashing it on the way, and publishes it (as put does) only
  //   when it hashes to its name. Only hashes of 40, 64 or 128 characters (sha1, sha256,
  //   sha512) are asked for, and only by a writable store (a read-only store publishes nothing).
  // - write through (RemoteMode::read_write): insert/copy/put upload what they published, at
  //   once, before they return (synchronous: no queue, so Store::flush() has nothing to wait
  //   for; many files at once go faster with cas::push, remote_transfer.hpp).
  // A remote failure is never an error of the call: a fetch that fails (refused, timeout, 5xx,
  // truncated, or a body with the wrong hash: nothing is published) is a miss, an upload that
  // fails leaves the local insert done. Each failure is counted in remote_stats(), kept as its
  // last_error, and passed to on_remote_error; a 404 is a plain miss (counted, not reported).
  // Messages name the URL without its credentials.
  std::shared_ptr<Remote> remote = nullptr;
  RemoteMode remote_mode = RemoteMode::read_write;
  // Called with each reported remote error's message, from the thread whose call met it; it
  // must not throw (what it throws is ignored). Unset: failures are only counted and kept.
  std::function<void(const std::string& message)> on_remote_error = nullptr;
  // The seam for fault injection in tests; nullptr means FileSystem::posix().
  std::shared_ptr<FileSystem> file_system = nullptr;
};

class Store {
 public:
  // The store's hidden areas inside root: files being written, corrupt files moved aside, and
  // pins.
  // Every name starting with kReservedPrefix at the top of the root is reserved for the store
  // (never content, never reported by walk or the store-wide operations).
  static constexpr std::string_view kTempDirName = ".cas-tmp";
  static constexpr std::string_view kQuarantineDirName = ".cas-quarantine";
  static constexpr std::string_view kPinsDirName = ".cas-pins";  // cas/pins.hpp
  static constexpr std::string_view kReservedPrefix = ".cas-";

  // Touches nothing on disk; `root` need not exist yet (it is created by the first insert).
  // A relative root is made absolute against the current directory now.
  // Throws InvalidArgumentError for an empty root, an empty list of layouts, a negative
  // touch_on_use, or limits with low_water outside (0, 1], a negative max_age, or a min_free
  // of zero bytes or with a fraction outside (0, 1).
  explicit Store(boost::filesystem::path root, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Returns the absolute path of `hash` under the first layout that has it; else, with a
  // remote (StoreOptions::remote), the path it was published at after a verified fetch from
  // the remote; else nullopt (a remote failure is a miss: see StoreOptions::remote).
  // If the store is writable and the file is found only under a non-preferred layout, it is
  // first renamed to its preferred path (emptied old directories are removed); if another
  // thread or process migrated it meanwhile, the preferred path is returned. If the OS
  // refuses the migration (EACCES, EPERM, EROFS) the file is returned where it is. A found
  // file is a use: its mtime is set to now when older than StoreOptions::touch_on_use.
  // Throws InvalidHashError; PermissionError/IoError when a directory cannot be searched (or,
  // reading through, when the temp file cannot be written or published).
  std::optional<boost::filesystem::path> lookup(std::string_view hash);

  // Like lookup, but never asks the remote.
  std::optional<boost::filesystem::path> lookup_local(std::string_view hash);

  // What the remote tier did so far (all zero without a remote).
  RemoteStats remote_stats() const;

  // The absolute path `hash` has under the preferred layout. No disk access.
  // Throws InvalidHashError.
  boost::filesystem::path preferred_path(std::string_view hash) const;

  // Like lookup (reading through a remote, migrating, touching on use), then opens the file:
  // returns its descriptor, open read-only (close-on-exec) at offset 0 and owned by the
  // UniqueFd, or an empty UniqueFd (false) when absent. A file removed or migrated between the
  // lookup and the open is looked up again. With `path`, sets *path to the absolute path the
  // file was opened at (for messages: it may be renamed or removed while it is open).
  // Throws InvalidHashError; PermissionError/IoError naming the path that cannot be opened;
  // CorruptError (after moving the file to root/.cas-quarantine) with verify_on_open when its
  // content does not hash to its name.
  UniqueFd open_fd(std::string_view hash, std::string* path = nullptr);

  // open_fd as a binary input stream, or nullptr when absent. Throws as open_fd does; a read
  // error later only sets the stream's badbit (open_fd keeps the errno: read the descriptor).
  std::unique_ptr<std::istream> open(std::string_view hash);

  // Moves `src` to the preferred path of `hash`, atomically replacing anything there, removes
  // copies under the other layouts and returns the preferred path. `src` may be anywhere: an
  // old-layout path of the same hash, a temp file inside root, or another filesystem (then it
  // is copied to a temp file in the store keeping its mode, renamed into place, made durable
  // (file and directory fsynced, unless Durability::none) and only then unlinked). The content is
  // not checked against the hash. With a read-write remote, the published file is then uploaded
  // (a failure is reported, not thrown: see StoreOptions::remote). Throws InvalidHashError;
  // ReadOnlyError ("create"); InsertionError when `src` does not exist or is not a regular file
  // (nothing is left behind); CorruptError with verify_on_insert when the content does not match
  // (nothing published, src untouched); PermissionError/IoError naming the path that failed.
  boost::filesystem::path insert(std::string_view hash, const boost::filesystem::path& src);

  // Like insert, but copies `src` (through a temp file) and never modifies or removes it,
  // even when `src` is an old-layout copy of the same hash.
  boost::filesystem::path copy(std::string_view hash, const boost::filesystem::path& src);

  // Streams `src` into a temp file inside the store while hashing it, publishes the result
  // under its hash and returns the hash (lowercase hex). `src` is untouched. Uploaded to a
  // read-write remote as insert is.
  // Throws ReadOnlyError ("create"); InsertionError when `src` is missing or not a regular
  // file; PermissionError/IoError (ENOSPC included: the temp file is removed).
  std::string put(const boost::filesystem::path& src,
                  HashAlgorithm algorithm = HashAlgorithm::sha256);

  // Like put, but streams what the readable descriptor `fd` gives until end of file (a pipe, a
  // socket, stdin: anything read(2) reads), through the same anonymous temp file; `fd` is read,
  // never closed or rewound. Errors name the source `display` ("stdin" by default).
  // Throws ReadOnlyError ("create"); IoError for a failed read; PermissionError/IoError.
  std::string put_fd(int fd, HashAlgorithm algorithm = HashAlgorithm::sha256,
                     const std::string& display = "stdin");

  // Deletes `hash` under every layout and removes emptied directories up to, never
  // including, the root. Absent: a no-op. Throws InvalidHashError; ReadOnlyError ("remove");
  // PermissionError/IoError.
  void remove(std::string_view hash);

  // Lists the whole store first, then calls `visit` once per hash (deduplicated across
  // layouts) from the calling thread, so `visit` may call lookup/insert/remove. Afterwards,
  // throws UnrecognizedPathsError with the sorted root-relative paths of files that no layout
  // recognizes (symlinks and other non-regular files included). A missing root visits nothing.
  // Exceptions thrown by `visit` propagate at once. Throws IoError/PermissionError when a
  // directory cannot be read.
  void walk(const std::function<void(const std::string& hash)>& visit) const;

  // Makes every file published so far durable (syncfs of the store's filesystem): the commit
  // point of Durability::batch. Throws IoError. A no-op when the root does not exist. (Uploads
  // to a remote are synchronous: none is pending when a write returns.)
  void flush();

  // Removes files in root/.cas-tmp whose mtime is older than `older_than` (each re-stated just
  // before it goes, so a writer that touched its file meanwhile keeps it) and returns how many
  // went. A missing temp area reaps nothing. Zero reaps every temp file, which is safe only
  // when no writer is active (a live writer's temp would be lost and its write fail).
  // Throws InvalidArgumentError for a negative age; ReadOnlyError ("reap");
  // PermissionError/IoError when the temp area cannot be read.
  std::size_t reap_temp(std::chrono::seconds older_than);

  // Makes the store read-only from now on, for every thread.
  void set_read_only();
  bool read_only() const;

  const boost::filesystem::path& root() const;
  const std::vector<std::shared_ptr<const Layout>>& layouts() const;
  const StoreOptions& options() const;

 private:
  // The one door for bytes that arrive from elsewhere (cas::pull, read-through):
  // src/store/incoming.hpp.
  friend class detail::Incoming;

  // open_fd; *size is set to the file's size when it is known (the fast path), else left.
  UniqueFd open_file(std::string_view hash, std::string* path, std::size_t* size);
  // open_file's fast path: the preferred layout's copy, or an empty UniqueFd when there is none.
  UniqueFd open_preferred(std::string_view hash, std::string* path, std::size_t* size);

  // The root, options and every helper behind the public calls (src/store/store_impl.hpp).
  std::unique_ptr<detail::StoreImpl> impl_;
};

// For a program about to die of a signal (SIGINT, SIGTERM): unlinks the named temp files this
// process is writing, in every store, and from then on blocks any thread that would create
// one, so that the process leaves no partial file behind. (Anonymous O_TMPFILE temps, used
// wherever the filesystem has them, need nothing: the kernel frees them.) Call it from a thread
// that waits for the signal (sigwait), not from a signal handler: it takes a lock. The writes
// whose temps it removed fail if the process goes on; it is meant to be followed by the exit.
// Never throws. The cas tool does this on SIGINT, SIGTERM and SIGHUP.
void discard_temp_files_for_exit();

}  // namespace cas
