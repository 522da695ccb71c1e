// Store-wide operations: migrate, purge, gc, trim, sync, verify and stats.
//
// All of them run on one engine: the parallel Walker lists the store while its worker threads
// perform each file's operation relative to the directory descriptor the walker already holds
// (linkat/unlinkat/renameat/openat), so many metadata operations and reads are in flight at
// once and no path is resolved twice. Emptied directories are removed bottom-up as the walk
// leaves them. The store's own areas (.cas-tmp, .cas-quarantine) are never treated as content.
//
// Every operation is safe to run while other threads and processes use the store (each file
// operation is one atomic link, rename or unlink) and may be interrupted at any instant,
// including by SIGKILL: running it again completes the job, with nothing lost or duplicated.
//
// Errors: failures on individual files are counted in the result (`failed`) and the first
// few are kept in `errors`; the operation goes on. An operation throws only when it cannot
// start (the root cannot be opened: IoError/PermissionError; ReadOnlyError for a mutating
// operation on a read-only store). A missing root is an empty store.
//
// Thread-safety: each function may be called from any thread; the progress callback is
// called from the walker's threads, one call at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cas/hash.hpp"
#include "cas/store.hpp"

namespace cas {

namespace detail {
struct Scope;     // src/store/scope.hpp
struct LastUses;  // src/ops/stats_merge.hpp
}  // namespace detail

struct Progress {
  std::uint64_t done = 0;              // items processed so far (files, for every operation)
  std::optional<std::uint64_t> total;  // known when OperationOptions::count_first is set
  double elapsed_seconds = 0;
  double rate = 0;          // items per second since the start
  std::uint64_t bytes = 0;  // bytes processed (verify, sync, stats)
};

using ProgressCallback = std::function<void(const Progress&)>;

struct OperationOptions {
  // Walker threads (and so file operations in flight); 0 picks the walker's measured default.
  unsigned threads = 0;
  // Report what would be done without changing anything (migrate, purge, gc, sync). The
  // file counts are what would be acted on (migrate counts each old copy as moved, sync each
  // missing file as copied); directories_removed stays 0, since which directories empty
  // depends on the removals not made.
  bool dry_run = false;
  // Called about every progress_interval, and once at the end.
  ProgressCallback progress;
  std::chrono::milliseconds progress_interval{250};
  // Count the files first (a quick listing) so Progress::total is known: a progress bar
  // can show an ETA. The listing also warms the directory cache the operation then uses.
  bool count_first = false;
  // Internal: limits the run to a part of the store, for the in-repo tools that split a job
  // (src/store/scope.hpp sets it). Unset: the whole store.
  std::shared_ptr<const detail::Scope> scope;
};

// The failure count and the first errors: the base of every result (the store-wide operations',
// stats', push's and pull's).
struct OperationErrors {
  std::uint64_t failed = 0;         // files (or directories, or requests) whose operation failed
  std::vector<std::string> errors;  // the first kMaxErrors messages, "<path>: <reason>"
  // The one cap on the messages any result keeps; the counts go on.
  static constexpr std::size_t kMaxErrors = 20;

  // Counts one failure and keeps its message (keep_error).
  void add(std::string message);
  // Adds `part`'s count and keeps its messages after these (keep_error): two runs' errors as one.
  void merge(const OperationErrors& part);
};

// Appends `message` to `errors` while it holds fewer than OperationErrors::kMaxErrors, else
// drops it: the one place the cap is applied (a message kept without a failure counted, as pull
// keeps its misses, goes through it too).
void keep_error(std::vector<std::string>& errors, std::string message);

enum class MigrateMethod {
  // linkat into the preferred place, then unlinkat the old name. Cross-directory renames
  // serialize on a per-filesystem lock in Linux; link and unlink do not, so this scales with
  // threads. Between the two steps the file has both names, which readers tolerate.
  link_unlink,
  // renameat: one operation, serialized by the kernel (the IPS method, but in parallel).
  rename,
};

struct MigrateOptions : OperationOptions {
  MigrateMethod method = MigrateMethod::link_unlink;
};

struct MigrateResult : OperationErrors {
  std::uint64_t moved = 0;               // files now under the preferred layout that were not
  std::uint64_t already_in_place = 0;    // files under the preferred layout before the run began
                                         // (or moved there meanwhile by a concurrent lookup)
  std::uint64_t duplicates_removed = 0;  // old copies removed because the preferred one existed
  std::uint64_t unrecognized = 0;        // files no layout recognizes (left alone)
  std::uint64_t directories_removed = 0;
};

// Moves every file found under a non-preferred layout to the preferred one, removing the
// emptied old directories. Idempotent. An old copy whose preferred copy already exists is
// removed (duplicates_removed), unless the two are different files of different sizes: one
// is then damaged, so the old copy goes to root/.cas-quarantine and counts as failed (the
// error says so; `verify` tells which is right). Throws ReadOnlyError on a read-only store (unless
// dry_run), IoError/PermissionError when the root cannot be opened.
MigrateResult migrate(Store& store, const MigrateOptions& options = {});

struct PurgeOptions : OperationOptions {
  // Also remove what no layout recognizes (stray files, symlinks, their directories): IPS's
  // rmtree of the whole root. Off by default, so a mistaken root (a home directory, a
  // project) loses nothing but content files named by their hash.
  bool remove_unrecognized = false;
};

struct PurgeResult : OperationErrors {
  std::uint64_t files_removed = 0;  // content and quarantined files (and, with
                                    // remove_unrecognized, every other non-directory)
  std::uint64_t unrecognized = 0;   // files no layout recognizes, left alone
  std::uint64_t directories_removed = 0;
};

// Removes all content (quarantined files included) but keeps the root, the temp area of
// writers in progress, the pins (cas/pins.hpp: they name hashes, present or not), the
// automatic-trim counters, and every file no layout recognizes (unless remove_unrecognized)
// with the directories holding it: files are unlinked as the parallel walk reaches them and
// directories removed bottom-up as they empty. Never follows a symlink, never enters another
// filesystem (a mount point inside the root is left, with its content), never touches anything
// outside the root. Throws ReadOnlyError (unless dry_run), IoError/PermissionError when the root
// cannot be opened.
PurgeResult purge(Store& store, const PurgeOptions& options = {});

struct GcResult : OperationErrors {
  std::uint64_t kept = 0;
  std::uint64_t removed = 0;
  std::uint64_t unrecognized = 0;  // left alone
  std::uint64_t directories_removed = 0;
};

// Removes every hash not in `keep` (trim to a manifest) nor pinned (cas/pins.hpp), under every
// layout. Throws ReadOnlyError (unless dry_run); IoError when a pin cannot be read.
GcResult gc(Store& store, const std::unordered_set<std::string>& keep,
            const OperationOptions& options = {});

// The bounds (CacheLimits, cas/store.hpp: the same fields a Store's automatic trimming keeps);
// at least one must be set. A store over a size or count bound is trimmed, least recently used
// first (oldest mtime: see StoreOptions::touch_on_use), until it is at or under low_water times
// that bound, so a cache at its bound is not trimmed again at once. Every file last used longer
// than max_age ago goes too; below the free-space floor (min_free, checked at the end of the
// scan) the least recently used content goes until (2 - low_water) times the floor is
// available, or until only pinned content is left.
struct TrimOptions : OperationOptions, CacheLimits {};

struct TrimResult : OperationErrors {
  std::uint64_t scanned_files = 0;  // content files found by the scan (pinned ones included)
  std::uint64_t scanned_bytes = 0;
  std::uint64_t removed_files = 0;  // with dry_run: what would be removed
  std::uint64_t removed_bytes = 0;
  std::uint64_t pinned = 0;         // files kept because a pin (cas/pins.hpp) holds them
  std::uint64_t recently_used = 0;  // files kept because they were used while the trim ran
  std::uint64_t unrecognized = 0;   // files no layout recognizes: not content, left alone
  std::uint64_t directories_removed = 0;
};

// Removes least-recently-used content until the store is within `options`' bounds (see
// TrimOptions). Memory does not grow with the store: a first walk counts files and bytes by
// last use in a histogram of at most 65536 cells, which gives the cutoff; a second walk
// removes what is older, re-stating each file just before it goes (a file used since the scan
// has a new mtime and stays) and counts the cutoff cell by nanosecond in a second bounded
// histogram; a third walk, only when the cutoff falls inside that cell, settles it (files
// whose mtimes differ by less than the second histogram's cell, 16 us for a one-second cell, or
// that the filesystem stamped in the same clock tick, go in walk order).
// Temp files, quarantine and pins are not content; pinned hashes are never removed. Throws
// InvalidArgumentError without a bound, with low_water outside (0, 1], a negative max_age, a
// min_free of zero bytes or a fraction outside (0, 1), or a scope (OperationOptions::scope);
// ReadOnlyError (unless dry_run); IoError when a pin cannot be read or the root cannot be opened.
TrimResult trim(Store& store, const TrimOptions& options);

struct SyncOptions : OperationOptions {
  bool delete_extras = false;  // also remove hashes that `source` does not have
};

struct SyncResult : OperationErrors {
  std::uint64_t linked = 0;  // hard-linked from the source (same filesystem)
  std::uint64_t copied = 0;  // copied through a temp file (another filesystem)
  std::uint64_t already_present = 0;
  std::uint64_t deleted = 0;       // extras removed (delete_extras)
  std::uint64_t unrecognized = 0;  // with delete_extras: files of `store` no layout
                                   // recognizes, left alone
  std::uint64_t bytes = 0;         // bytes linked or copied
};

// Makes `store` hold every hash of `source` (a resync with a mirror): each missing file is
// hard-linked into its preferred place when both stores are on one filesystem, else copied
// and published atomically. `source` is only read. With delete_extras, hashes of `store`
// that `source` lacks are removed afterwards, unless copying had failures (then none is, and
// that is one more failure) or the source could not be asked (that file is kept, a failure).
// Throws ReadOnlyError (unless dry_run); IoError/PermissionError when the source root cannot
// be opened.
SyncResult sync(Store& store, const Store& source, const SyncOptions& options = {});

struct VerifyOptions : OperationOptions {
  // nullopt: the algorithm follows the hash length (40 hex = sha1, 64 = sha256,
  // 128 = sha512); files of another length are counted in `unknown_algorithm`. Set: only
  // names of that algorithm's length are checked, the others counted in `unknown_algorithm`.
  std::optional<HashAlgorithm> algorithm;
  // Move mismatching files to root/.cas-quarantine/ (needs a writable store).
  bool quarantine = false;
  // Remove files in root/.cas-tmp older than this (writers that crashed); zero disables.
  // Housekeeping only: a refusal (EACCES, EPERM, EROFS) is skipped, not counted as failed.
  std::chrono::seconds reap_temp_older_than{std::chrono::hours(1)};
};

struct VerifyResult : OperationErrors {
  std::uint64_t ok = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t unknown_algorithm = 0;
  std::uint64_t unrecognized = 0;
  std::uint64_t temp_reaped = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> corrupt_paths;  // root-relative, sorted
};

// Re-hashes every file in parallel and reports those whose content does not match their name.
// Throws ReadOnlyError when quarantine is asked of a read-only store.
VerifyResult verify(Store& store, const VerifyOptions& options = {});

struct ListResult {
  std::vector<std::string> hashes;        // sorted, each once (a hash under two layouts too)
  std::vector<std::string> unrecognized;  // root-relative paths of files no layout recognizes
                                          // (symlinks and other non-regular files too), sorted
};

// The hashes of the store, or of the part that OperationOptions::scope covers
// (threads too; the rest is ignored), as Store::walk lists them: mount points are entered.
// Runs over disjoint parts list disjoint hashes when every place a layout gives a hash is in
// one part (hash-prefix directories). Read-only. Throws IoError/PermissionError for the first
// directory that cannot be read.
ListResult list(const Store& store, const OperationOptions& options = {});

struct LayoutStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

struct StoreStats : OperationErrors {
  std::map<std::string, LayoutStats> layouts;  // by layout name, every configured layout
  std::uint64_t hashes = 0;  // distinct hashes (a hash in two layouts counts once)
  std::uint64_t unrecognized_files = 0;
  std::uint64_t unrecognized_bytes = 0;
  std::uint64_t directories = 0;  // below the root
  std::uint64_t empty_directories = 0;
  std::uint64_t temp_files = 0;         // in .cas-tmp: writers in progress, or crashed ones
  std::uint64_t temp_bytes = 0;         // their size (Store::reap_temp reclaims stale ones)
  std::uint64_t quarantined_files = 0;  // in .cas-quarantine
  std::uint64_t pinned_hashes = 0;      // distinct hashes held by unexpired pins
  // Last use (mtime) of the content: the oldest, the median and the newest, in seconds since
  // the epoch (0 for an empty store). The median is exact to the histogram's cell width
  // (one second for stores whose last uses span less than 18 hours).
  std::int64_t oldest_use = 0;
  std::int64_t median_use = 0;
  std::int64_t newest_use = 0;
  // Internal: the last-use histogram the median was read from, for adding up the stats of parts
  // of a store (src/ops/stats_merge.hpp).
  std::shared_ptr<const detail::LastUses> last_uses;
};

// Counts files and bytes per layout, unrecognized files and empty directories, pinned hashes
// and the last-use distribution. Read-only; a pin that cannot be read is a failure (`failed`,
// `errors`).
StoreStats stats(const Store& store, const OperationOptions& options = {});

}  // namespace cas
