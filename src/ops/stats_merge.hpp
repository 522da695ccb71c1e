// Internal (not installed; for the in-repo tools through the cas-internal target): the stats of
// the parts of a store (runs limited by a scope, src/store/scope.hpp) added up into the stats
// of the whole, as cas-mpi does across ranks.
//
// Thread-safety: plain functions on values.
#pragma once

#include <cstdint>
#include <map>

#include "cas/operations.hpp"

namespace cas::detail {

// The last-use histogram behind StoreStats::median_use: content files by last use (mtime), in
// cells of `width` seconds (a power of two) keyed by their start (a multiple of the width).
struct LastUses {
  std::int64_t width = 1;
  std::map<std::int64_t, std::uint64_t> files;
};

// Adds `part`, the stats of a disjoint part of the same store, to `into`, as if both had been
// counted in one run: counts add (a layout missing from one side counts as zero), the last-use
// histograms merge (the coarser width wins, and the histogram widens as stats' own does when it
// has too many cells), and the oldest, median and newest use are recomputed from them.
// Failures add, and errors are appended up to kMaxErrors (OperationErrors::merge).
// Never throws but std::bad_alloc.
void merge_stats(StoreStats& into, const StoreStats& part);

}  // namespace cas::detail
