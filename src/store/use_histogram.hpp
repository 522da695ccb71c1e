// Internal: files and bytes counted by last use (mtime, whole seconds), in memory that does not
// grow with the store: cells of `width` seconds, the width doubling whenever more than
// kMaxCells cells are in use (65536 cells cover 18 hours at one second, 136 years at
// 2^16 seconds). Used by trim (where to cut) and stats (the median last use).
//
// Thread-safety: add() may be called from many threads at once; the queries only once no thread
// adds any more.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace cas::detail {

class UseHistogram {
 public:
  static constexpr std::size_t kMaxCells = 65536;

  struct Cell {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
  };

  // Counts one file last used at `mtime` (seconds since the epoch) of `bytes` bytes.
  void add(std::int64_t mtime, std::uint64_t bytes);

  // The oldest `files` files and `bytes` bytes: the start of the cell in which the oldest
  // files first add up to both, and what the cells before it hold. nullopt when the whole
  // histogram does not add up to them.
  struct Cut {
    std::int64_t start = 0;  // the cell holding the cut starts here
    std::int64_t width = 1;  // and is this wide
    Cell before;             // what every older cell holds
  };
  std::optional<Cut> cut(std::uint64_t files, std::uint64_t bytes) const;

  // The start of the cell holding the middle file (by last use); 0 when empty.
  std::int64_t median() const;

  // Adds `files` files (of `bytes` bytes) counted elsewhere in the cell starting at `start` of
  // `width` seconds (a power of two, as width() is): the histogram first widens to `width` if it
  // is finer.
  void add_cell(std::int64_t start, std::int64_t width, std::uint64_t files,
                std::uint64_t bytes = 0);

  // The cells by start (for trim split across processes: src/store/trim_split.hpp).
  const std::map<std::int64_t, Cell>& cells() const { return cells_; }

  // Files by cell start, for handing the histogram to another process (StoreStats::last_uses, src/ops/stats_merge.hpp).
  std::map<std::int64_t, std::uint64_t> file_counts() const;

  std::int64_t width() const { return width_; }
  bool empty() const { return cells_.empty(); }

 private:
  void widen();
  void recell();  // merges the cells into cells of the current width_

  std::mutex mu_;
  std::map<std::int64_t, Cell> cells_;  // by cell start (a multiple of width_)
  std::int64_t width_ = 1;
  std::uint64_t files_ = 0;
};

// The start of the cell of `width` holding `t` (floor, also for times before 1970).
inline std::int64_t cell_of(std::int64_t t, std::int64_t width) {
  std::int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

}  // namespace cas::detail
