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

// The counts of a histogram as a value: files and bytes by last use, in cells of `width` seconds
// (a power of two) keyed by their start (a multiple of the width). What a trim's parts add up
// (trim_split.hpp), what stats keeps for merging parts (StoreStats::last_uses) and what cas-mpi
// hands from rank to rank.
struct UseCells {
  struct Cell {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    bool operator==(const Cell&) const = default;
  };
  std::int64_t width = 1;
  std::map<std::int64_t, Cell> cells;
  bool operator==(const UseCells&) const = default;
};

class UseHistogram {
 public:
  static constexpr std::size_t kMaxCells = 65536;

  using Cell = UseCells::Cell;

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

  // Adds counts made elsewhere (add_cell for each of their cells).
  void add(const UseCells& counted);

  // The cells by start.
  const std::map<std::int64_t, Cell>& cells() const { return cells_; }

  // The counts as a value.
  UseCells snapshot() const { return UseCells{width_, cells_}; }

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

// Adds `part` to `into` as if both had been counted in one histogram (the coarser width wins,
// and the sum widens as a histogram does when it has too many cells).
void add_cells(UseCells& into, const UseCells& part);

}  // namespace cas::detail
