// The cache policy: recency on use (touch_on_use), trim (LRU by mtime), pins and leases.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

const std::time_t kNow = std::time(nullptr);
constexpr std::time_t kDay = 86400;

std::string content_of(int i) { return "cached file " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

using test::set_mtime;

std::time_t mtime_of(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtime;
}

class TrimTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "cache"; }
  fs::path path_of(int i) const { return root() / V1Layout().lookup(hash_of(i)); }

  // Files 0..n-1, file i last used `age(i)` seconds ago.
  template <typename Age>
  void populate(int n, Age age) {
    for (int i = 0; i < n; ++i) {
      test::write_file(path_of(i), content_of(i));
      set_mtime(path_of(i), kNow - age(i));
    }
  }

  std::set<int> present(int n) const {
    std::set<int> out;
    for (int i = 0; i < n; ++i) {
      if (fs::exists(path_of(i))) out.insert(i);
    }
    return out;
  }

  test::TempDir tmp_;
};

std::set<int> range(int from, int to) {
  std::set<int> out;
  for (int i = from; i < to; ++i) out.insert(i);
  return out;
}

TEST_F(TrimTest, TheOldestFilesGoFirstDownToTheLowWaterMark) {
  // File i was last used 100 - i days ago: file 0 is the least recently used.
  populate(20, [](int i) { return (100 - i) * kDay; });
  Store store(root());
  TrimOptions options;
  options.max_files = 10;  // over it: down to 90% of 10 = 9 files
  TrimResult r = trim(store, options);
  EXPECT_EQ(r.scanned_files, 20u);
  EXPECT_EQ(r.removed_files, 11u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(present(20), range(11, 20));
}

TEST_F(TrimTest, ASizeBoundRemovesByBytesAndFilesOfOneSecondSplitExactly) {
  // Ten files used in the same second, ten a day later: the cut falls inside one second.
  populate(20, [](int i) { return i < 10 ? 2 * kDay : kDay; });
  std::uint64_t total = 0;
  for (int i = 0; i < 20; ++i) total += content_of(i).size();
  Store store(root());
  TrimOptions options;
  options.max_bytes = total - 1;  // just over: trim to 90%
  options.low_water = 0.75;       // a quarter of the bytes must go: about five files
  TrimResult r = trim(store, options);
  auto left = present(20);
  std::uint64_t left_bytes = 0;
  for (int i : left) left_bytes += content_of(i).size();
  EXPECT_LE(left_bytes, static_cast<std::uint64_t>((total - 1) * 0.75));
  EXPECT_EQ(r.removed_bytes, total - left_bytes);
  // Only files of the older second went, and no more than needed: one more file would do.
  for (int i = 10; i < 20; ++i) EXPECT_TRUE(left.count(i)) << i;
  EXPECT_GT(left_bytes + content_of(0).size() + 1, static_cast<std::uint64_t>((total - 1) * 0.75));
}

TEST_F(TrimTest, AStoreWithinItsBoundsKeepsEverythingButWhatIsOlderThanTheAge) {
  populate(10, [](int i) { return i * kDay; });
  Store store(root());
  TrimOptions options;
  options.max_files = 10;  // at the bound, not over it: nothing for the count
  options.max_age = std::chrono::seconds(5 * kDay + 3600);  // files 6..9 are older
  TrimResult r = trim(store, options);
  EXPECT_EQ(r.removed_files, 4u);
  EXPECT_EQ(present(10), range(0, 6));
}

TEST_F(TrimTest, DryRunCountsWhatWouldGoAndRemovesNothing) {
  populate(10, [](int i) { return (10 - i) * kDay; });
  Store store(root());
  TrimOptions options;
  options.max_files = 5;
  options.dry_run = true;
  TrimResult r = trim(store, options);
  EXPECT_EQ(r.removed_files, 6u);  // down to 4 (90% of 5)
  EXPECT_EQ(present(10), range(0, 10));
}

TEST_F(TrimTest, RefusesWithoutABoundOrWithABadLowWaterMark) {
  Store store(root());
  EXPECT_THROW(trim(store, TrimOptions{}), InvalidArgumentError);
  TrimOptions options;
  options.max_files = 1;
  options.low_water = 0;
  EXPECT_THROW(trim(store, options), InvalidArgumentError);
  options.low_water = 0.9;
  store.set_read_only();
  EXPECT_THROW(trim(store, options), ReadOnlyError);
}

TEST_F(TrimTest, AFileLookedUpDuringTheTrimSurvivesIt) {
  populate(10, [](int i) { return (10 - i) * kDay; });
  Store reader(root());  // another user of the cache, touching what it looks up
  Store store(root());
  TrimOptions options;
  options.max_files = 2;
  options.low_water = 0.5;  // down to one file: the nine least recently used must go
  options.progress_interval = std::chrono::hours(1);
  bool looked_up = false;
  // The first report with all ten files done ends the scan: the lookup falls between the scan
  // and the removals, the moment Bazel's collector re-stats for.
  options.progress = [&](const Progress& p) {
    if (p.done == 10 && !looked_up) {
      looked_up = true;
      ASSERT_TRUE(reader.lookup(hash_of(0)));
    }
  };
  TrimResult r = trim(store, options);
  ASSERT_TRUE(looked_up);
  EXPECT_EQ(r.recently_used, 1u);
  // File 0 was the least recently used at the scan and the most recently used at removal: it
  // stays, and the trim does not reach for newer files than the scan chose instead.
  EXPECT_EQ(present(10), (std::set<int>{0, 8, 9}));
  EXPECT_GE(mtime_of(path_of(0)), kNow);
}

TEST_F(TrimTest, PinnedAndLeasedHashesSurviveAndAnExpiredLeaseDoesNot) {
  populate(10, [](int i) { return (10 - i) * kDay; });
  Store store(root());
  add_pin(store, "release-1", {hash_of(0), hash_of(1)});
  add_pin(store, "job-42", {hash_of(2)}, std::chrono::hours(1));
  add_pin(store, "job-41", {hash_of(3)}, std::chrono::seconds(0));  // already expired
  TrimOptions options;
  options.max_files = 1;
  TrimResult r = trim(store, options);
  EXPECT_EQ(r.pinned, 3u);
  EXPECT_EQ(present(10), (std::set<int>{0, 1, 2}));

  auto pins = list_pins(store);
  ASSERT_EQ(pins.size(), 3u);
  EXPECT_EQ(pins[0].name, "job-41");
  EXPECT_TRUE(pins[0].expired);
  EXPECT_EQ(pins[1].name, "job-42");
  EXPECT_FALSE(pins[1].expired);
  ASSERT_TRUE(pins[1].expires);
  EXPECT_EQ(pins[2].name, "release-1");
  EXPECT_EQ(pins[2].hashes, 2u);
  EXPECT_FALSE(pins[2].expires);

  EXPECT_TRUE(remove_pin(store, "release-1"));
  EXPECT_FALSE(remove_pin(store, "release-1"));
  r = trim(store, options);
  EXPECT_EQ(present(10), std::set<int>{2});
}

TEST_F(TrimTest, APinExpiringInTheFarFutureStillProtects) {
  populate(2, [](int) { return kDay; });
  Store store(root());
  // Past 2262, where a nanosecond clock would overflow into the past.
  test::write_file(root() / ".cas-pins" / "far",
                   "cas-pin 1\nexpires 10000000000\n" + hash_of(0) + "\n");
  auto pins = list_pins(store);
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_FALSE(pins[0].expired);
  EXPECT_EQ(pins[0].expires->time_since_epoch().count(), 10000000000LL);
  EXPECT_THROW(add_pin(store, "x", {hash_of(0)}, std::chrono::seconds(36501LL * 86400)),
               InvalidArgumentError);
  TrimOptions options;
  options.max_files = 1;
  options.low_water = 0.5;
  trim(store, options);
  EXPECT_EQ(present(2), std::set<int>{0});
}

TEST_F(TrimTest, GcHonoursPins) {
  populate(4, [](int) { return kDay; });
  Store store(root());
  add_pin(store, "keep", {hash_of(1)});
  GcResult r = gc(store, {hash_of(0)});
  EXPECT_EQ(r.kept, 2u);
  EXPECT_EQ(present(4), (std::set<int>{0, 1}));
}

TEST_F(TrimTest, PinsRejectBadNamesAndUnreadablePinsStopTheTrim) {
  Store store(root());
  EXPECT_THROW(add_pin(store, "../x", {}), InvalidArgumentError);
  EXPECT_THROW(add_pin(store, ".hidden", {}), InvalidArgumentError);
  EXPECT_THROW(add_pin(store, "", {}), InvalidArgumentError);
  EXPECT_THROW(add_pin(store, "ok", {"NOT-A-HASH"}), InvalidHashError);
  populate(3, [](int) { return kDay; });
  test::write_file(root() / ".cas-pins" / "damaged", "something else\n");
  TrimOptions options;
  options.max_files = 1;
  EXPECT_THROW(trim(store, options), IoError);
  EXPECT_EQ(present(3).size(), 3u);  // nothing removed on a guess
}

TEST_F(TrimTest, ALookupTouchesAStaleFileOnceAndAFreshOneNever) {
  populate(2, [](int i) { return i == 0 ? 2 * 3600 : 60; });
  const std::time_t fresh = mtime_of(path_of(1));
  Store store(root());
  ASSERT_TRUE(store.lookup(hash_of(0)));
  ASSERT_TRUE(store.open(hash_of(1)));
  EXPECT_GE(mtime_of(path_of(0)), kNow);
  EXPECT_EQ(mtime_of(path_of(1)), fresh);  // younger than touch_on_use: untouched

  StoreOptions off;
  off.touch_on_use = std::chrono::seconds(0);
  set_mtime(path_of(0), kNow - kDay);
  ASSERT_TRUE(Store(root(), off).lookup(hash_of(0)));
  EXPECT_EQ(mtime_of(path_of(0)), kNow - kDay);
}

TEST_F(TrimTest, AReadOnlyStoreNeverTouches) {
  populate(1, [](int) { return kDay; });
  StoreOptions ro;
  ro.read_only = true;
  Store store(root(), ro);
  ASSERT_TRUE(store.lookup(hash_of(0)));
  ASSERT_TRUE(store.open(hash_of(0)));
  EXPECT_EQ(mtime_of(path_of(0)), kNow - kDay);
}

TEST_F(TrimTest, AMigrationOnLookupCountsAsAUse) {
  const fs::path old = root() / V0Layout().lookup(hash_of(0));
  test::write_file(old, content_of(0));
  set_mtime(old, kNow - kDay);
  Store store(root());
  auto found = store.lookup(hash_of(0));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, path_of(0));
  EXPECT_GE(mtime_of(path_of(0)), kNow);
}

TEST_F(TrimTest, StatsReportsPinsAndTheAgesOfLastUse) {
  populate(5, [](int i) { return (i + 1) * kDay; });
  Store store(root());
  add_pin(store, "p", {hash_of(0), hash_of(1)});
  StoreStats s = stats(store);
  EXPECT_EQ(s.pinned_hashes, 2u);
  EXPECT_EQ(s.oldest_use, kNow - 5 * kDay);
  EXPECT_EQ(s.median_use, kNow - 3 * kDay);
  EXPECT_EQ(s.newest_use, kNow - kDay);
}

// SIGKILL at random instants of a trim: what is left is complete and correctly named, and a
// re-run reaches the bound.
TEST_F(TrimTest, SigkillDuringATrimLeavesCompleteFilesAndARerunCompletes) {
  std::mt19937 rng(7);
  int killed_mid_run = 0;
  for (int iter = 0; iter < 20; ++iter) {
    fs::remove_all(root());
    populate(400, [](int i) { return (400 - i) * 60; });
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store store(root());
      TrimOptions options;
      options.max_files = 100;
      trim(store, options);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(rng() % 20000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status);
    for (int i : present(400)) {
      ASSERT_EQ(hash_bytes(test::read_file(path_of(i)), HashAlgorithm::sha256), hash_of(i));
    }
    Store store(root());
    TrimOptions options;
    options.max_files = 100;
    TrimResult r = trim(store, options);
    ASSERT_EQ(r.failed, 0u);
    auto left = present(400);
    ASSERT_LE(left.size(), 100u);
    // Every run removes only files older than its cutoff: the 90 most recently used survive.
    for (int i = 310; i < 400; ++i) ASSERT_TRUE(left.count(i)) << i;
  }
  EXPECT_GT(killed_mid_run, 0);
}

// Four processes insert 300 files each into a store limited to 200 files: the store trims
// itself as it goes, stays near its bound, and loses only what the trims evicted — the oldest.
TEST_F(TrimTest, FourProcessesInsertingWithLimitsStayWithinTheBoundAndKeepTheNewest) {
  constexpr int kWriters = 4, kEach = 300, kBound = 200;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      {
        StoreOptions options;
        options.limits.max_files = kBound;
        Store store(root(), options);
        FILE* log = std::fopen((tmp_ / ("log-" + std::to_string(w))).c_str(), "w");
        for (int i = w * kEach; i < (w + 1) * kEach; ++i) {
          const fs::path part = tmp_ / ("part-" + std::to_string(i));
          test::write_file(part, content_of(i));
          store.insert(hash_of(i), part);
          timespec now;
          ::clock_gettime(CLOCK_REALTIME, &now);
          std::fprintf(log, "%lld %d\n", now.tv_sec * 1000000000LL + now.tv_nsec, i);
        }
        std::fclose(log);
      }  // ~Store waits for its trim, if one is running
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto left = present(kWriters * kEach);
  for (int i : left) {
    ASSERT_EQ(hash_bytes(test::read_file(path_of(i)), HashAlgorithm::sha256), hash_of(i));
  }
  // Trims ran, and the store is at most its bound plus what the writers published while the
  // last trim ran (documented); here that is well under another bound.
  EXPECT_LT(left.size(), static_cast<std::size_t>(kWriters * kEach));
  EXPECT_LE(left.size(), static_cast<std::size_t>(2 * kBound));
  // Trims remove the least recently used first: the 50 files inserted last are all there (a
  // trim keeps the newest 180).
  std::vector<std::pair<long long, int>> inserted;
  for (int w = 0; w < kWriters; ++w) {
    std::istringstream log(test::read_file(tmp_ / ("log-" + std::to_string(w))));
    long long t;
    int i;
    while (log >> t >> i) inserted.emplace_back(t, i);
  }
  ASSERT_EQ(inserted.size(), static_cast<std::size_t>(kWriters * kEach));
  std::sort(inserted.begin(), inserted.end());
  for (std::size_t k = inserted.size() - 50; k < inserted.size(); ++k) {
    EXPECT_TRUE(left.count(inserted[k].second)) << inserted[k].second;
  }
}

}  // namespace
}  // namespace cas
