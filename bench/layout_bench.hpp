// Layout benchmark support shared by the Google Benchmark suites (bm_layout.cpp) and the
// cas-bench report: cached benchmark stores, capacity checks and the timed operations.
//
// A benchmark store of `size` files in layout L lives in <bench_dir>/<L>-<size>/ (the layout
// name with ':' and ',' replaced), filled by the parallel tree generator and marked complete
// by a ".cas-bench-complete" file, so later runs reuse it. The store is opened with L first
// and the other default layouts after it, as a deployment that still looks up legacy copies
// would be: a miss then probes every configured layout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cas/layout.hpp"
#include "cas/store.hpp"

namespace cas::bench {

// Inodes and bytes a store of `files` files of `file_size` bytes needs under `layout`, on a
// filesystem of `fs_type` (a scratch_fs.hpp kind; empty: unknown, so the estimate assumes a
// block per file and per directory). What the kinds change: ext4 made with inline_data keeps
// small files and directories in their inodes (preallocated), XFS keeps small directories in
// their inodes but allocates inodes from free space, btrfs keeps small files in its (DUP)
// metadata, tmpfs needs a page per file.
struct Footprint {
  std::uint64_t inodes = 0;
  std::uint64_t bytes = 0;
};
Footprint footprint(const Layout& layout, std::uint64_t files, std::size_t file_size,
                    const std::string& fs_type = "");

// Free inodes and bytes (for an unprivileged user) of the filesystem holding `dir`; a
// filesystem without an inode count (btrfs) reports a practically unlimited number.
Footprint available(const std::string& dir);

// The directory of the cached store for (layout, size) under bench_dir.
std::string store_dir(const std::string& bench_dir, const Layout& layout, std::uint64_t size);

// Creates the cached store unless it is complete already. Returns true when it was created.
bool ensure_store(const std::string& bench_dir, const Layout& layout, std::uint64_t size,
                  std::size_t file_size, unsigned threads);

// The store options for benchmarking `layout`: it first, then the other default layouts.
StoreOptions bench_options(const std::shared_ptr<const Layout>& layout, Durability durability);

// Drops the page cache (root only). Returns false when it could not.
bool drop_caches();

// The timed operations, each on `count` items of a store of `size` files; they return the
// mean microseconds per operation and leave the store as they found it.
struct OpTiming {
  double us_per_op = 0;
  std::uint64_t ops = 0;
  double reads_per_op = -1;  // disk reads per operation (opens on a block device), else -1
};

// Index ranges of the extra files the timed operations create: the population is 0..size-1,
// the Store's inserts and removals start at kExtraBase + size, their floors' at kFloorBase +
// size, so no two measurements reuse a name.
constexpr std::uint64_t kExtraBase = 1ull << 40;
constexpr std::uint64_t kFloorBase = 3ull << 40;

// Writes the sources of `count` new files (indices from `first`) into the store's temp area,
// on the store's filesystem. Returns {hash, source path} for each.
std::vector<std::pair<std::string, std::string>> prepare_sources(Store& store, std::uint64_t first,
                                                                 std::uint64_t count,
                                                                 std::size_t file_size);

// The hashes `count` random opens ask for: present files of a store of `size` (hit), or
// absent ones (miss), drawn from `seed`.
std::vector<std::string> random_hashes(std::uint64_t size, std::uint64_t count,
                                       std::size_t file_size, bool hit, std::uint32_t seed);

// A line of /proc/mounts.
struct MountEntry {
  std::string source;   // "/dev/vda", "tmpfs"
  std::string point;    // where it is mounted
  std::string type;     // "ext4"
  std::string options;  // "rw,relatime,discard"
};

// The mount holding `dir`: the longest mount point on dir's device, or nothing when `dir`
// cannot be stat'ed or no mount matches.
std::optional<MountEntry> mount_holding(const std::string& dir);

// Reads completed so far by the block device holding `dir` (/proc/diskstats; for btrfs, whose
// files have anonymous device numbers, the source of the mount holding `dir`), or nothing when
// it is not on one (tmpfs).
std::optional<std::uint64_t> disk_reads(const std::string& dir);

// Removes a benchmark store directory and everything in it, quickly (cas::purge's parallel
// unlinks). A missing directory is fine.
void remove_store_dir(const std::string& dir);

// Inserts `count` new files (sources prepared beforehand in the store's temp area, on the
// same filesystem, so each insert is the rename the library does), then removes them
// (untimed).
OpTiming time_insert(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size);

// Inserts `count` extra files (untimed), then times removing them.
OpTiming time_remove(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size);

// Opens, reads and closes `count` random present files (hit) or looks up `count` absent
// hashes (miss), from one thread. `cold` drops the page cache first. Counts the disk reads
// they cause when the store is on a block device.
OpTiming time_random_open(Store& store, std::uint64_t size, std::uint64_t count,
                          std::size_t file_size, bool hit, bool cold, std::uint32_t seed);

}  // namespace cas::bench
