// The free-space floor (CacheLimits::min_free, TrimOptions::min_free) on a real filesystem that
// fills: a small tmpfs (root only), shared by the store and a file that is not the cache's.
#include <sys/statvfs.h>

#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr int kFiles = 20;
constexpr std::uint64_t kFileSize = 100 * kKiB;

std::uint64_t available(const fs::path& p) {
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0) throw std::runtime_error("statvfs " + p.string());
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// A 4 MiB tmpfs holding a store of kFiles files of 100 KiB, file i last used i days after the
// oldest (so the oldest go first), and `filler` bytes of someone else's.
class FreeSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "needs root to mount a small tmpfs";
    disk_ = std::make_unique<test::Tmpfs>(tmp_ / "disk", "4m");
    ASSERT_TRUE(disk_->ok());
    Store store(root());
    const std::time_t oldest = std::time(nullptr) - 100 * 86400;
    for (int i = 0; i < kFiles; ++i) {
      std::string content(kFileSize, static_cast<char>('a' + i));
      test::write_file(tmp_ / "src", content);
      hashes_.push_back(store.put(tmp_ / "src"));
      test::set_mtime(*store.lookup_local(hashes_.back()), oldest + i * 86400);
    }
  }

  void fill(std::uint64_t bytes) {
    test::write_file(tmp_ / "disk" / "not-the-cache", std::string(bytes, 'z'));
  }

  std::vector<bool> present() {
    Store store(root(), read_only());
    std::vector<bool> out;
    for (const auto& h : hashes_) out.push_back(store.lookup_local(h).has_value());
    return out;
  }

  static StoreOptions read_only() {
    StoreOptions o;
    o.read_only = true;
    return o;
  }

  fs::path root() const { return tmp_ / "disk" / "store"; }

  test::TempDir tmp_;
  std::unique_ptr<test::Tmpfs> disk_;
  std::vector<std::string> hashes_;
};

TEST_F(FreeSpaceTest, TrimWithMinFreeRemovesTheOldestUntilTheFloorIsFree) {
  fill(available(tmp_ / "disk") - 300 * kKiB);
  ASSERT_LT(available(root()), kMiB);
  Store store(root());
  TrimOptions options;
  options.min_free = FreeSpace::of_bytes(kMiB);
  const TrimResult r = trim(store, options);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_GE(available(root()), kMiB);
  // (2 - 0.9) MiB free at most one file's worth beyond: the oldest went, in order.
  EXPECT_LT(available(root()), kMiB * 11 / 10 + 2 * kFileSize);
  const auto kept = present();
  ASSERT_GT(r.removed_files, 0u);
  for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i], i >= r.removed_files) << i;
}

TEST_F(FreeSpaceTest, AFloorAsAFractionOfTheFilesystem) {
  fill(available(tmp_ / "disk") - 300 * kKiB);
  Store store(root());
  TrimOptions options;
  options.min_free = FreeSpace::of_fraction(0.25);  // 1 MiB of 4
  trim(store, options);
  EXPECT_GE(available(root()), kMiB);
  EXPECT_FALSE(present().front());
  EXPECT_TRUE(present().back());
}

TEST_F(FreeSpaceTest, AnUnreachableFloorLeavesOnlyThePinnedContent) {
  fill(available(tmp_ / "disk") - 100 * kKiB);
  Store store(root());
  add_pin(store, "keep", {hashes_[0]});
  TrimOptions options;
  options.min_free = FreeSpace::of_bytes(3 * kMiB);  // more than the whole store holds
  const TrimResult r = trim(store, options);
  EXPECT_EQ(r.removed_files, static_cast<std::uint64_t>(kFiles - 1));
  EXPECT_EQ(r.pinned, 1u);
  EXPECT_TRUE(present().front());
}

TEST_F(FreeSpaceTest, WithEnoughFreeTrimRemovesNothing) {
  Store store(root());
  TrimOptions options;
  options.min_free = FreeSpace::of_bytes(kMiB);
  ASSERT_GE(available(root()), kMiB);
  EXPECT_EQ(trim(store, options).removed_files, 0u);
}

TEST_F(FreeSpaceTest, AStoreWithMinFreeTrimsItselfWhenItsWritesFindTheDiskShort) {
  fill(available(tmp_ / "disk") - 400 * kKiB);
  StoreOptions options;
  options.limits.min_free = FreeSpace::of_bytes(kMiB);
  {
    Store store(root(), options);
    test::write_file(tmp_ / "src", "one more");
    store.put(tmp_ / "src");  // the first write of this Store reads the free space
  }                           // the destructor waits for the trim it started
  EXPECT_GE(available(root()), kMiB);
  EXPECT_FALSE(present().front());
  EXPECT_TRUE(present().back());
}

TEST(FreeSpaceOptionsTest, ZeroBytesOrAFractionOutsideZeroToOneIsRefused) {
  test::TempDir tmp;
  for (FreeSpace bad : {FreeSpace::of_bytes(0), FreeSpace::of_fraction(1.0),
                        FreeSpace::of_fraction(-0.5), FreeSpace::of_fraction(2)}) {
    StoreOptions options;
    options.limits.min_free = bad;
    EXPECT_THROW(Store(tmp / "s", options), InvalidArgumentError);
    Store store(tmp / "s");
    TrimOptions trim_options;
    trim_options.min_free = bad;
    EXPECT_THROW(trim(store, trim_options), InvalidArgumentError);
  }
}

}  // namespace
}  // namespace cas
