// UseHistogram (src/store/use_histogram.hpp): files and bytes by last use in bounded memory, the
// cut trim makes and the median stats reports.
#include "store/use_histogram.hpp"

#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cas::detail {
namespace {

TEST(UseHistogramTest, CutIsTheCellWhereTheOldestFilesAddUpToWhatMustGo) {
  UseHistogram h;
  for (std::int64_t t = 100; t < 110; ++t) h.add(t, 10);  // one file of 10 bytes a second
  auto cut = h.cut(3, 0);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->start, 102);  // files at 100 and 101 are before it; the third is in it
  EXPECT_EQ(cut->width, 1);
  EXPECT_EQ(cut->before.files, 2u);
  EXPECT_EQ(cut->before.bytes, 20u);

  cut = h.cut(1, 45);  // bytes decide: the fifth file brings the oldest to 50
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->start, 104);
  EXPECT_EQ(cut->before.bytes, 40u);
  EXPECT_FALSE(h.cut(11, 0)) << "more files than the histogram holds";
  EXPECT_FALSE(h.cut(0, 101));
}

TEST(UseHistogramTest, MedianIsTheCellOfTheMiddleFile) {
  UseHistogram h;
  EXPECT_EQ(h.median(), 0);
  EXPECT_TRUE(h.empty());
  for (std::int64_t t : {5, 1, 9, 3, 7}) h.add(t, 1);
  EXPECT_EQ(h.median(), 5);
}

TEST(UseHistogramTest, WidensInsteadOfGrowingBeyondItsCellLimit) {
  UseHistogram h;
  const std::int64_t span = 3 * static_cast<std::int64_t>(UseHistogram::kMaxCells);
  for (std::int64_t t = 0; t < span; t += 1) h.add(t, 1);
  EXPECT_LE(h.cells().size(), UseHistogram::kMaxCells);
  EXPECT_GT(h.width(), 1);
  EXPECT_EQ(h.width() & (h.width() - 1), 0) << "widths are powers of two";
  std::uint64_t files = 0;
  for (const auto& [start, cell] : h.cells()) {
    EXPECT_EQ(cell_of(start, h.width()), start);
    files += cell.files;
  }
  EXPECT_EQ(files, static_cast<std::uint64_t>(span)) << "widening loses no file";
}

TEST(UseHistogramTest, AddCellWidensAFinerHistogramToTheCellsWidth) {
  UseHistogram h;
  h.add(3, 1);
  h.add(6, 1);
  h.add_cell(8, 4, 5, 50);  // [8, 12): five files counted elsewhere
  EXPECT_EQ(h.snapshot(), (UseCells{4, {{0, {1, 1}}, {4, {1, 1}}, {8, {5, 50}}}}));
}

TEST(UseHistogramTest, CellOfRoundsDownAlsoBeforeTheEpoch) {
  EXPECT_EQ(cell_of(7, 4), 4);
  EXPECT_EQ(cell_of(8, 4), 8);
  EXPECT_EQ(cell_of(-1, 4), -4);
  EXPECT_EQ(cell_of(-4, 4), -4);
  EXPECT_EQ(cell_of(-5, 4), -8);
}

TEST(UseHistogramTest, ThreadsAddingAtOnceLoseNoFile) {
  UseHistogram h;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&h, i] {
      for (int k = 0; k < 10000; ++k) h.add(i * 1000 + k % 1000, 2);
    });
  }
  for (auto& t : threads) t.join();
  std::uint64_t files = 0, bytes = 0;
  for (const auto& [start, cell] : h.cells()) {
    files += cell.files;
    bytes += cell.bytes;
  }
  EXPECT_EQ(files, 40000u);
  EXPECT_EQ(bytes, 80000u);
}

}  // namespace
}  // namespace cas::detail
