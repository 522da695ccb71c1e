// The parallel directory walker: what it lists (compared with find, at any thread count), the
// fields of an entry, depth limits, skip and prune, symlinks, errors, entries that vanish, and
// its cap on open directories.
#include "cas/walker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "test_util.hpp"
#include "walker_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::find_rel, test::Seen, test::TempDir, test::with_threads, test::write_file;

class WalkerThreadsTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(WalkerThreadsTest, VisitsEveryNonDirectoryWithItsInodeLikeFind) {
  const fs::path& root = test::shared_awkward_tree();
  Seen seen;
  WalkOptions o = with_threads(GetParam());
  o.on_error = [&](const WalkError& e) { return seen.error(e); };
  Walker walker(o);
  WalkStats stats = walker.walk(root, [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.records, find_rel(root, {"!", "-type", "d"}, "%i\t%P"));
  EXPECT_TRUE(seen.errors.empty());
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_FALSE(stats.stopped);
  EXPECT_EQ(stats.entries, seen.rel_paths.size());
  EXPECT_EQ(stats.directories, find_rel(root, {"-type", "d"}).size() + 1);  // + the root
}

TEST_P(WalkerThreadsTest, ReportsDirectoriesWhenAsked) {
  const fs::path& root = test::shared_awkward_tree();
  Seen seen;
  WalkOptions o = with_threads(GetParam());
  o.report_directories = true;
  Walker(o).walk(root, [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.rel_paths, find_rel(root, {}));
}

TEST_P(WalkerThreadsTest, ReadsAWideDirectoryOfSubdirectoriesInSlices) {
  // More subdirectories than one slice (1024): the directory is read in several turns.
  static TempDir dir;
  static const bool made = [] {
    for (int i = 0; i < 1500; ++i) fs::create_directory(dir / ("d" + std::to_string(i)));
    for (int i = 0; i < 1500; i += 7) test::touch(dir / ("d" + std::to_string(i)) / "f");
    return true;
  }();
  (void)made;
  Seen seen;
  std::atomic<int> exits{0};
  WalkOptions o = with_threads(GetParam());
  o.on_directory_exit = [&](const WalkEntry&) { ++exits; };
  WalkStats stats = Walker(o).walk(dir.path(), [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.rel_paths, find_rel(dir.path(), {"!", "-type", "d"}));
  EXPECT_EQ(stats.directories, 1501u);
  EXPECT_EQ(exits.load(), 1500);
}

INSTANTIATE_TEST_SUITE_P(Threads, WalkerThreadsTest, ::testing::Values(1u, 3u, 16u));

TEST(WalkerTest, EntryFieldsDescribeTheEntry) {
  const fs::path& root = test::shared_awkward_tree();
  std::atomic<int> checked{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what, std::string_view rel) {
    std::lock_guard lock(mu);
    failures.push_back(what + ": " + std::string(rel));
  };
  WalkOptions o = with_threads(4);
  o.report_directories = true;
  Walker walker(o);
  walker.walk(root, [&](const WalkEntry& e) {
    ++checked;
    std::string rel(e.rel_path);
    std::size_t slash = rel.rfind('/');
    if (e.name != (slash == std::string::npos ? rel : rel.substr(slash + 1))) fail("name", rel);
    if (e.depth != std::count(rel.begin(), rel.end(), '/') + 1) fail("depth", rel);
    if (e.worker >= walker.threads()) fail("worker", rel);
    if (e.st != nullptr) fail("st without stat_entries", rel);
    struct stat st;
    if (::fstatat(e.parent_fd, std::string(e.name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      fail("fstatat(parent_fd, name)", rel);
    } else if (st.st_ino != e.ino || IFTODT(st.st_mode) != e.type) {
      fail("ino/type vs lstat", rel);
    }
    if (rel.size() < PATH_MAX &&
        (::fstatat(e.root_fd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_ino != e.ino)) {
      fail("fstatat(root_fd, rel_path)", rel);
    }
    return WalkAction::proceed;
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_GT(checked.load(), 3000);
}

TEST(WalkerTest, StatEntriesFillsLstatForEveryEntry) {
  const fs::path& root = test::shared_awkward_tree();
  std::atomic<int> bad{0}, total{0};
  WalkOptions o = with_threads(4);
  o.stat_entries = true;
  o.report_directories = true;
  Walker(o).walk(root, [&](const WalkEntry& e) {
    ++total;
    if (!e.st || e.st->st_ino != e.ino || IFTODT(e.st->st_mode) != e.type) ++bad;
    return WalkAction::proceed;
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(static_cast<std::size_t>(total.load()), find_rel(root, {}).size());
}

TEST(WalkerTest, HandlesPathsLongerThanPathMax) {
  TempDir dir;
  std::string leaf = test::make_deep_chain(dir.path(), 30, 250);
  ASSERT_GT(leaf.size(), static_cast<std::size_t>(PATH_MAX));
  Seen seen;
  Walker(with_threads(2)).walk(dir.path(), [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.rel_paths, std::multiset<std::string>{leaf});
}

TEST(WalkerTest, MaxDepthMatchesFindMaxdepth) {
  const fs::path& root = test::shared_awkward_tree();
  for (int depth : {1, 2, 3, 5}) {
    Seen seen;
    WalkOptions o = with_threads(4);
    o.max_depth = depth;
    o.report_directories = true;
    Walker(o).walk(root, [&](const WalkEntry& e) { return seen.add(e); });
    EXPECT_EQ(seen.rel_paths, find_rel(root, {"-maxdepth", std::to_string(depth)}))
        << "max_depth " << depth;
  }
  WalkOptions o;
  o.max_depth = 0;
  int visits = 0;
  Walker(o).walk(root, [&](const WalkEntry&) {
    ++visits;
    return WalkAction::proceed;
  });
  EXPECT_EQ(visits, 0);
}

TEST(WalkerTest, SkipAndPruneKeepTheWalkOutOfADirectory) {
  const fs::path& root = test::shared_awkward_tree();
  Seen seen;
  WalkOptions o = with_threads(4);
  o.report_directories = true;
  o.prune = [](const WalkEntry& e) { return e.name == "wide"; };
  Walker(o).walk(root, [&](const WalkEntry& e) {
    seen.add(e);
    return e.rel_path == "nested/a" ? WalkAction::skip : WalkAction::proceed;
  });
  EXPECT_EQ(seen.rel_paths.count("wide"), 1u);
  EXPECT_EQ(seen.rel_paths.count("nested/a"), 1u);
  EXPECT_EQ(seen.rel_paths.count("nested/socket"), 1u);
  for (const auto& p : seen.rel_paths) {
    EXPECT_NE(p.rfind("wide/", 0), 0u) << p;
    EXPECT_NE(p.rfind("nested/a/", 0), 0u) << p;
  }
}

TEST(WalkerTest, UnopenableRootThrowsIoErrorNamingIt) {
  TempDir dir;
  write_file(dir / "file", "x");
  Walker walker;
  auto visit = [](const WalkEntry&) { return WalkAction::proceed; };
  try {
    walker.walk(dir / "missing", visit);
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.path(), (dir / "missing").string());
  }
  try {
    walker.walk(dir / "file", visit);
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ENOTDIR);
  }
}

TEST(WalkerTest, FollowingSymlinksEntersLinkedDirectoriesAndReportsLoops) {
  TempDir dir;
  write_file(dir / "real/a/file", "x");
  fs::create_symlink("real", dir / "link");
  fs::create_symlink("../..", dir / "real/a/up");  // leads back to the root: a loop
  fs::create_symlink("self", dir / "self");        // ELOOP on stat
  fs::create_symlink("nowhere", dir / "dangling");
  Seen seen;
  WalkOptions o = with_threads(4);
  o.follow_symlinks = true;
  o.on_error = [&](const WalkError& e) { return seen.error(e); };
  std::map<std::string, unsigned char> types;
  WalkStats stats = Walker(o).walk(dir.path(), [&](const WalkEntry& e) {
    std::lock_guard lock(seen.mu);
    types[std::string(e.rel_path)] = e.type;
    return WalkAction::proceed;
  });
  std::map<std::string, unsigned char> expected = {
      {"real/a/file", DT_REG}, {"link/a/file", DT_REG}, {"dangling", DT_LNK}};
  EXPECT_EQ(types, expected);
  std::set<std::string> errors;
  for (const auto& e : seen.errors) {
    errors.insert(e.operation + " " + e.path + " " + std::to_string(e.code));
  }
  const std::string root = dir.path().string();
  EXPECT_EQ(errors, (std::set<std::string>{
                        "follow " + root + "/real/a/up " + std::to_string(ELOOP),
                        "follow " + root + "/link/a/up " + std::to_string(ELOOP),
                        "stat " + root + "/self " + std::to_string(ELOOP),
                    }));
  EXPECT_EQ(stats.errors, 3u);
}

TEST(WalkerTest, EntriesThatVanishDuringTheWalkAreSkippedSilently) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) write_file(dir / ("victim" + std::to_string(i)) / "inner/f", "");
  write_file(dir / "replaced/f", "");
  write_file(dir / "kept/f", "");
  fs::create_directory(dir / "wide");
  for (int i = 0; i < 600; ++i) test::touch(dir / "wide" / ("f" + std::to_string(i)));
  Seen seen;
  WalkOptions o = with_threads(1);  // one worker: a directory is reported before it is opened
  o.report_directories = true;
  o.stat_entries = true;  // files deleted before their stat must be skipped, too
  o.on_error = [&](const WalkError& e) { return seen.error(e); };
  bool wide_cleared = false;
  Walker(o).walk(dir.path(), [&](const WalkEntry& e) {
    seen.add(e);
    std::string name(e.name);
    if (name.rfind("victim", 0) == 0) fs::remove_all(dir / std::string(e.rel_path));
    if (name == "replaced") {
      fs::remove_all(dir / "replaced");
      write_file(dir / "replaced", "now a file");
    }
    if (e.depth == 2 && e.rel_path.substr(0, 5) == "wide/" && !wide_cleared) {
      // Delete every other file of the directory being read, including ones already returned
      // by getdents64 but not yet visited.
      wide_cleared = true;
      for (int i = 0; i < 600; ++i) {
        std::string f = "f" + std::to_string(i);
        if (f != name) ::unlinkat(e.parent_fd, f.c_str(), 0);
      }
    }
    return WalkAction::proceed;
  });
  EXPECT_TRUE(seen.errors.empty())
      << seen.errors.front().operation << " " << seen.errors.front().path;
  EXPECT_EQ(seen.rel_paths.count("kept/f"), 1u);
  std::size_t wide = 0;
  for (const auto& p : seen.rel_paths) {
    EXPECT_NE(p.rfind("victim0/", 0), 0u) << p;
    EXPECT_NE(p, "replaced/f");
    if (p.rfind("wide/", 0) == 0) ++wide;
  }
  EXPECT_EQ(wide, 1u);
}

int open_fd_count() {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

TEST(WalkerTest, OpenDirectoriesStayUnderTheCap) {
  TempDir dir;
  std::string leaf = test::make_deep_chain(dir.path(), 120, 8);
  const int baseline = open_fd_count();
  int peak = 0;
  WalkOptions o = with_threads(1);
  o.max_open_directories = 8;
  o.report_directories = true;
  Seen seen;
  Walker(o).walk(dir.path(), [&](const WalkEntry& e) {
    peak = std::max(peak, open_fd_count() - baseline);
    return seen.add(e);
  });
  EXPECT_EQ(seen.rel_paths.count(leaf), 1u);
  EXPECT_EQ(seen.rel_paths.size(), 121u);
  // The cap, plus the directory being read and the root (pinned), plus /proc/self/fd itself.
  EXPECT_LE(peak, 8 + 3);
}

TEST(WalkerTest, DefaultThreadCountIsPositiveAndOverridable) {
  EXPECT_GT(default_walk_threads(), 0u);
  EXPECT_EQ(Walker().threads(), default_walk_threads());
  EXPECT_EQ(Walker(with_threads(5)).threads(), 5u);
  ::setenv("CAS_WALK_THREADS", "3", 1);
  EXPECT_EQ(default_walk_threads(), 3u);
  ::unsetenv("CAS_WALK_THREADS");
}

}  // namespace
}  // namespace cas
