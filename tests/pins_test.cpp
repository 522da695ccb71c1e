// Pins (cas/pins.hpp) honoured by every walk of a trim that removes files: the second (older
// than the cutoff second) and the third, which settles the cutoff second file by file by
// nanosecond. The pinned files are placed so that a walk that ignored pins would remove every
// one of them before the cut, in any walk order: the outcome never depends on which file the
// parallel walker reaches first.
#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "store/trim_split.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr long kMs = 1'000'000;  // nanoseconds

class PinsTest : public ::testing::Test {
 protected:
  // The store below: 31 content files, 9 of them pinned.
  //   second S - 100:     2 pinned, 2 unpinned;
  //   second S (the cut):  unpinned at 1, 2, ... 10 ms into it; pinned at 0.5, 1.5, ... 5.5 ms
  //                        (older than the cut) and at 9.5 ms (newer);
  //   seconds S + 100...:  10 unpinned, newer than everything else.
  // With max_files 20 and low_water 1, 11 files must go: the 2 unpinned of S - 100 (second walk)
  // and 9 of S (the third walk: every file before 9 ms, then the one at 9 ms). What stays is
  // every pinned file, the unpinned file at 10 ms and the 10 newer ones.
  void SetUp() override {
    const std::time_t s = std::time(nullptr) - 10 * 86400;
    for (int k = 0; k < 2; ++k) {
      add("old pinned " + std::to_string(k), s - 100, k * kMs, true);
      add("old " + std::to_string(k), s - 100, k * kMs + kMs / 2, false);
    }
    for (int k = 1; k <= 10; ++k) add("cut " + std::to_string(k), s, k * kMs, false);
    for (int k = 0; k <= 5; ++k) add("cut pinned " + std::to_string(k), s, k * kMs + kMs / 2, true);
    add("cut pinned late", s, 9 * kMs + kMs / 2, true);
    for (int k = 0; k < 10; ++k) add("new " + std::to_string(k), s + 100 + k, 0, false);
    Store store(root());
    add_pin(store, "keep", pinned_);
    expected_.insert(pinned_.begin(), pinned_.end());
    expected_.insert(hash_bytes("cut 10", HashAlgorithm::sha256));
    for (int k = 0; k < 10; ++k) expected_.insert(hash_bytes("new " + std::to_string(k), kSha));
  }

  static constexpr HashAlgorithm kSha = HashAlgorithm::sha256;

  fs::path root() const { return tmp_ / "cache"; }

  // Stores `content` last used at `sec` + `nsec` nanoseconds.
  void add(const std::string& content, std::time_t sec, long nsec, bool pinned) {
    const std::string hash = hash_bytes(content, kSha);
    const fs::path p = root() / V1Layout().lookup(hash);
    test::write_file(p, content);
    const timespec times[2] = {{sec, nsec}, {sec, nsec}};
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << p;
    struct stat st;
    ASSERT_EQ(::lstat(p.c_str(), &st), 0);
    // The test needs the filesystem to keep at least millisecond timestamps.
    ASSERT_EQ(st.st_mtim.tv_nsec, nsec) << "the filesystem of " << p << " rounds mtimes";
    all_.push_back(hash);
    if (pinned) pinned_.push_back(hash);
  }

  std::set<std::string> present() const {
    std::set<std::string> out;
    for (const auto& h : all_) {
      if (fs::exists(root() / V1Layout().lookup(h))) out.insert(h);
    }
    return out;
  }

  static TrimOptions bounds() {
    TrimOptions o;
    o.max_files = 20;
    o.low_water = 1;
    return o;
  }

  test::TempDir tmp_;
  std::vector<std::string> all_;
  std::vector<std::string> pinned_;
  std::set<std::string> expected_;
};

TEST_F(PinsTest, TrimsThirdWalkKeepsPinnedFilesOfTheCutoffSecondInAnyWalkOrder) {
  Store store(root());
  TrimResult r = trim(store, bounds());
  EXPECT_EQ(r.scanned_files, 31u);
  EXPECT_EQ(r.pinned, 9u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.removed_files, 11u);
  EXPECT_EQ(present(), expected_);
  for (const auto& h : pinned_) EXPECT_TRUE(present().count(h)) << "pinned " << h << " removed";
}

// The same through the split trim's steps (cas-mpi's), the store as one part: trim_remove is the
// second walk, trim_settle the third.
TEST_F(PinsTest, SplitTrimsSettleStepKeepsPinnedFilesOfTheCutoffSecond) {
  Store store(root());
  const TrimOptions options = bounds();
  const timespec start = trim_start();
  const TrimScan scan = trim_scan(store, options);
  EXPECT_EQ(scan.counts.pinned, 9u);
  const TrimPlan plan = trim_plan(options, scan, start);
  ASSERT_FALSE(plan.nothing_to_do());
  TrimPass pass = trim_remove(store, options, plan);
  EXPECT_EQ(pass.counts.removed_files, 2u);  // the unpinned files of S - 100
  const std::vector<TrimShare> shares = trim_shares(plan, pass, {pass});
  ASSERT_EQ(shares.size(), 1u) << "the cut does not fall inside the cutoff second";
  trim_settle(store, options, plan, shares.front(), pass);
  EXPECT_EQ(pass.counts.removed_files, 11u);
  EXPECT_EQ(pass.counts.failed, 0u);
  EXPECT_EQ(present(), expected_);
}

}  // namespace
}  // namespace cas
