// The walker's on_directory_exit hook: called once a directory's whole subtree is done, so a
// purge can remove emptied directories bottom up.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cas/walker.hpp"
#include "test_util.hpp"
#include "walker_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::find_rel, test::TempDir, test::with_threads, test::write_file;

// Simulates purge: unlink every file as it is visited and rmdir each directory in
// on_directory_exit. Any exit called before its subtree is done fails with ENOTEMPTY.
class WalkerPurgeTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(WalkerPurgeTest, ExitHookCanRemoveEmptiedDirectoriesBottomUp) {
  TempDir dir;
  int dirs = 0;
  for (int a = 0; a < 8; ++a) {
    for (int b = 0; b < 8; ++b) {
      fs::path d = dir / ("a" + std::to_string(a)) / ("b" + std::to_string(b));
      write_file(d / "c/f1", "");
      write_file(d / "f2", "");
      dirs += 2;
    }
    ++dirs;
  }
  std::atomic<int> unlink_failures{0}, rmdir_failures{0}, exits{0};
  WalkOptions o = with_threads(8);
  o.max_open_directories = GetParam();
  o.on_directory_exit = [&](const WalkEntry& e) {
    ++exits;
    if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), AT_REMOVEDIR) != 0) ++rmdir_failures;
  };
  Walker(o).walk(dir.path(), [&](const WalkEntry& e) {
    if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), 0) != 0) ++unlink_failures;
    return WalkAction::proceed;
  });
  EXPECT_EQ(unlink_failures.load(), 0);
  EXPECT_EQ(rmdir_failures.load(), 0);
  EXPECT_EQ(exits.load(), dirs);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// 0: the default cap; 3: descriptors are evicted and reopened all the time.
INSTANTIATE_TEST_SUITE_P(OpenDirectoryCaps, WalkerPurgeTest, ::testing::Values(0u, 3u));

TEST(WalkerTest, ExitHookFollowsEveryEventOfTheSubtree) {
  const fs::path& root = test::shared_awkward_tree();
  std::mutex mu;
  std::vector<std::pair<std::string, bool>> events;  // (rel_path, is_exit)
  WalkOptions o = with_threads(8);
  o.report_directories = true;
  o.on_directory_exit = [&](const WalkEntry& e) {
    std::lock_guard lock(mu);
    events.emplace_back(std::string(e.rel_path), true);
  };
  Walker(o).walk(root, [&](const WalkEntry& e) {
    std::lock_guard lock(mu);
    events.emplace_back(std::string(e.rel_path), false);
    return WalkAction::proceed;
  });
  std::map<std::string, std::size_t> exit_at;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].second) {
      EXPECT_EQ(exit_at.count(events[i].first), 0u) << "two exits: " << events[i].first;
      exit_at[events[i].first] = i;
    }
  }
  EXPECT_EQ(exit_at.size(), find_rel(root, {"-type", "d"}).size());
  // Every event below a directory comes before its exit.
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string& p = events[i].first;
    for (std::size_t slash = p.find('/'); slash != std::string::npos;
         slash = p.find('/', slash + 1)) {
      auto it = exit_at.find(p.substr(0, slash));
      ASSERT_NE(it, exit_at.end()) << p;
      EXPECT_LT(i, it->second) << p << " after the exit of " << it->first;
    }
  }
}

}  // namespace
}  // namespace cas
