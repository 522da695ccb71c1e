// cas-bench's report: the markdown tables, results.csv and the gnuplot chart, from the
// medians the runs measured.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cas/layout.hpp"

namespace cas::bench {

struct Cell {
  double us = 0;
  std::uint64_t ops = 0;
  double reads = -1;  // disk reads per operation; negative: not measured
};

// results[operation][size][layout]. An operation "X_floor" is the syscall floor of "X"
// (floor_ops.hpp); "X_cold" is X measured after dropping the page cache.
using Results = std::map<std::string, std::map<std::uint64_t, std::map<std::string, Cell>>>;
using Layouts = std::vector<std::shared_ptr<const Layout>>;

// The operations in report order (each may have a _floor companion).
const std::vector<std::string>& report_operations();

// "10M", "100k", "7".
std::string human(std::uint64_t n);

// Markdown: one table per operation. An operation with a floor shows, per layout, cas, floor
// and cas/floor; a cold one also its disk reads per operation.
std::string tables(const Results& results, const Layouts& layouts, bool cold);

// Writes results.csv (one row per operation, size and layout). Throws IoError.
void write_csv(const Results& results, const std::string& path, bool cold);

// Draws one panel per operation into png (time per operation against store size, a line per
// layout, its floor dashed) with gnuplot; the data and script stay beside it. Returns false,
// after saying why on stderr, when gnuplot fails.
bool write_chart(const Results& results, const Layouts& layouts, const std::string& out_dir,
                 const std::string& title);

}  // namespace cas::bench
