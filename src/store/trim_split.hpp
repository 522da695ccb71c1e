// Internal (not installed; for the in-repo tools that link the cas-internal target): one
// least-recently-used trim split into parts (scope.hpp) that
// several processes run (cas-mpi): the walks of cas::trim as separate calls, with the decisions
// between them taken once from the sums of every part's results. cas::trim is exactly these
// steps on a single part, the whole store:
//
//   1. trim_scan on every part; the scans added with add_scan;
//   2. trim_plan once, from the sum (and the start instant taken before step 1);
//   3. trim_remove on every part with the plan; the passes added with add_pass;
//   4. trim_shares once, from the plan, the sum and every part's pass: when the cutoff cell
//      must be split, one TrimShare per part, and trim_settle on every part with its share.
//
// So parts that cover the store once remove what one trim removes: every file last used before
// the cutoff, none after. Files last used in the same 16 us cell at the cutoff (or stamped in
// the same clock tick) are ties that one trim removes in walk order; split, the ties go part by
// part in the order of the parts given to trim_shares.
//
// Thread-safety: as cas::trim (each call may run on any thread); the values are plain data.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <vector>

#include "cas/operations.hpp"
#include "cas/store.hpp"

namespace cas {

// Files and bytes by last use, in cells of `width` (a power of two) keyed by their start: the
// histogram the cutoff is read from, bounded to 65536 cells however many files it counts.
struct UseCells {
  struct Cell {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
  };
  std::int64_t width = 1;
  std::map<std::int64_t, Cell> cells;
};

// Adds `part` to `into` as if both had been counted in one histogram (the coarser width wins).
void add_cells(UseCells& into, const UseCells& part);

struct TrimScan {
  TrimResult counts;  // scanned_files, scanned_bytes, pinned, failed, errors
  UseCells uses;      // unpinned content by last use, in seconds
  // With TrimOptions::min_free: the bytes to free to get back above the floor, as the
  // filesystem stood at the end of this scan (0: enough is free).
  std::uint64_t free_space_deficit = 0;
};

// Step 1 on the part `options` covers. Throws what trim throws (a scope is allowed here).
TrimScan trim_scan(const Store& store, const TrimOptions& options);
void add_scan(TrimScan& into, const TrimScan& part);

// The start of a trim: every change made before the call has a timestamp at or before it.
timespec trim_start();

struct TrimPlan {
  std::int64_t start_sec = 0, start_nsec = 0;  // trim_start(): the age bound's now, and the
                                               // instant after which a file counts as used
  std::int64_t remove_before = 0;  // files last used before this second go (INT64_MIN: none)
  std::int64_t cell = 0;           // the cutoff cell to settle file by file ([cell, +width))
  std::int64_t width = 1;          // (cell INT64_MIN: none)
  std::uint64_t need_files = 0;    // what must go in all to be within the bounds
  std::uint64_t need_bytes = 0;
  bool nothing_to_do() const;
};

// Step 2: what goes, from the scans of every part added up.
TrimPlan trim_plan(const TrimOptions& options, const TrimScan& whole, timespec start);

struct TrimPass {
  TrimResult counts;  // removed_files, removed_bytes, recently_used, directories_removed, failed
  UseCells within;    // the cutoff cell's files that stayed, by nanoseconds into the cell
};

// Step 3 on the part `options` covers.
TrimPass trim_remove(Store& store, const TrimOptions& options, const TrimPlan& plan);
void add_pass(TrimPass& into, const TrimPass& part);

// What one part removes of the cutoff cell in step 4: every file before `cell_start`
// nanoseconds into it, and of the files in [cell_start, cell_start + cell_width) as many as
// it takes to remove `files` files and `bytes` bytes.
struct TrimShare {
  std::int64_t cell_start = 0;
  std::int64_t cell_width = 1;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

// Step 4's shares, one per part in the order of `parts` (each part's own pass), or empty when
// no settling is needed. `whole` is the sum of `parts`.
std::vector<TrimShare> trim_shares(const TrimPlan& plan, const TrimPass& whole,
                                   const std::vector<TrimPass>& parts);

// Step 4 on the part `options` covers, with its share; adds what it removes to `pass`.
void trim_settle(Store& store, const TrimOptions& options, const TrimPlan& plan,
                 const TrimShare& share, TrimPass& pass);

}  // namespace cas
