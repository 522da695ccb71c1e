// The syscall floor of each timed layout operation: the raw calls that do the same placement
// on the same store, with every path computed before the clock starts. cas-bench measures each
// floor in the same round as the Store call it bounds, alternating which goes first, so the
// ratio cas/floor is what the library adds (its checks, the other layouts' probes, a prune).
//
//   insert: rename(2) of a source prepared in the store's temp area into an existing bucket
//   remove: unlink(2) of a present file
//   open:   open(2) + read(2) + close(2) of a present file's path
//   miss:   one failed stat(2) per layout the store is configured with
#pragma once

#include <cstdint>
#include <string>

#include "cas/store.hpp"
#include "layout_bench.hpp"

namespace cas::bench {

// Renames `count` prepared files into place under the store's first layout (their buckets
// created beforehand, untimed), then unlinks them (untimed).
OpTiming floor_insert(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size);

// Places `count` extra files (untimed, then sync), then times unlinking them.
OpTiming floor_remove(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size);

// open + read + close of `count` random present files (hit), or one stat per configured layout
// of `count` absent hashes (miss). `cold` drops the page cache first; disk reads are counted as for
// time_random_open.
OpTiming floor_random_open(Store& store, std::uint64_t size, std::uint64_t count,
                           std::size_t file_size, bool hit, bool cold, std::uint32_t seed);

}  // namespace cas::bench
