// Benchmark support: fills a directory with a store of N files, fast.
//
// File i holds a deterministic 'size'-byte payload derived from i and is named by its sha256,
// so `cas verify` accepts the result. Threads split the index range; directories are created
// as needed (EEXIST is fine), so the cost is dominated by the filesystem's create rate.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cas/layout.hpp"

namespace cas::bench {

// The payload of file `i`: `size` bytes (at least the decimal index and a newline).
std::string payload(std::uint64_t i, std::size_t size);

// The hash (name) of file `i`.
std::string file_hash(std::uint64_t i, std::size_t size);

// Creates files [first, first + count) under `root` as `layout` places them, using `threads`
// threads. `progress(done)` is called now and then from one thread. With `age_spread_seconds`,
// file i's access and modification times are set to a time within that many seconds before
// now, the same fraction of the spread for the same i (a cache with a history, for trim).
// Throws cas::IoError.
void populate(const std::string& root, const Layout& layout, std::uint64_t first,
              std::uint64_t count, std::size_t size, unsigned threads,
              const std::function<void(std::uint64_t)>& progress = {},
              std::uint64_t age_spread_seconds = 0);

}  // namespace cas::bench
