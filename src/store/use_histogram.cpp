// UseHistogram: files and bytes by last use in bounded memory (use_histogram.hpp).
#include "store/use_histogram.hpp"

namespace cas::detail {

void UseHistogram::add(std::int64_t mtime, std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  Cell& c = cells_[cell_of(mtime, width_)];
  ++c.files;
  c.bytes += bytes;
  ++files_;
  if (cells_.size() > kMaxCells) widen();
}

void UseHistogram::widen() {
  // Merging neighbours keeps every count; only the resolution halves.
  while (cells_.size() > kMaxCells / 2) {
    width_ *= 2;
    recell();
  }
}

void UseHistogram::recell() {
  std::map<std::int64_t, Cell> merged;
  for (const auto& [start, cell] : cells_) {
    Cell& m = merged[cell_of(start, width_)];
    m.files += cell.files;
    m.bytes += cell.bytes;
  }
  cells_.swap(merged);
}

void UseHistogram::add_cell(std::int64_t start, std::int64_t width, std::uint64_t files,
                            std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (width > width_) {
    while (width_ < width) width_ *= 2;
    recell();
  }
  Cell& c = cells_[cell_of(start, width_)];
  c.files += files;
  c.bytes += bytes;
  files_ += files;
  if (cells_.size() > kMaxCells) widen();
}

void UseHistogram::add(const UseCells& counted) {
  for (const auto& [start, c] : counted.cells) add_cell(start, counted.width, c.files, c.bytes);
}

void add_cells(UseCells& into, const UseCells& part) {
  UseHistogram h;
  h.add(into);
  h.add(part);
  into = h.snapshot();
}

std::optional<UseHistogram::Cut> UseHistogram::cut(std::uint64_t files, std::uint64_t bytes) const {
  Cell sum;
  for (const auto& [start, cell] : cells_) {
    if (sum.files + cell.files >= files && sum.bytes + cell.bytes >= bytes) {
      return Cut{start, width_, sum};
    }
    sum.files += cell.files;
    sum.bytes += cell.bytes;
  }
  return std::nullopt;
}

std::int64_t UseHistogram::median() const {
  std::uint64_t seen = 0;
  for (const auto& [start, cell] : cells_) {
    seen += cell.files;
    if (seen * 2 >= files_) return start;
  }
  return 0;
}

}  // namespace cas::detail
