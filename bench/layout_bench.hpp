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
#include <vector>

#include "cas/layout.hpp"
#include "cas/store.hpp"

namespace cas::bench {

// Inodes and bytes a store of `files` files of `file_size` bytes needs under `layout`.
struct Footprint {
  std::uint64_t inodes = 0;
  std::uint64_t bytes = 0;
};
Footprint footprint(const Layout& layout, std::uint64_t files, std::size_t file_size);

// Free inodes and bytes (for an unprivileged user) of the filesystem holding `dir`.
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
};

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
// hashes (miss), from one thread. `cold` drops the page cache first.
OpTiming time_random_open(Store& store, std::uint64_t size, std::uint64_t count,
                          std::size_t file_size, bool hit, bool cold, std::uint32_t seed);

}  // namespace cas::bench
