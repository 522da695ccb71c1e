#include "cas/walker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "test_util.hpp"
#include "walker_test_tree.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::TempDir;
using test::write_file;

// Collects what a walk saw, from any number of workers.
struct Seen {
  std::mutex mu;
  std::multiset<std::string> rel_paths;
  std::multiset<std::string> records;  // "<ino>\t<rel_path>"
  std::vector<WalkError> errors;

  WalkAction add(const WalkEntry& e) {
    std::lock_guard lock(mu);
    rel_paths.emplace(e.rel_path);
    records.insert(std::to_string(e.ino) + "\t" + std::string(e.rel_path));
    return WalkAction::proceed;
  }
  ErrorAction error(const WalkError& e) {
    std::lock_guard lock(mu);
    errors.push_back(e);
    return ErrorAction::proceed;
  }
};

WalkOptions with_threads(unsigned n) {
  WalkOptions o;
  o.threads = n;
  return o;
}

std::multiset<std::string> find_rel(const fs::path& root, std::vector<std::string> predicates,
                                    const std::string& format = "%P") {
  predicates.insert(predicates.begin(), "-mindepth");
  predicates.insert(predicates.begin() + 1, "1");
  return test::find_records(root, predicates, format);
}

// Detaches the mount at `path` when the test ends, whatever its outcome.
struct Unmount {
  fs::path path;
  ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
};

// The root-relative paths a 2-thread walk of `root` reports, directories included.
std::multiset<std::string> walk_listing(const fs::path& root, bool xdev) {
  Seen seen;
  WalkOptions o = with_threads(2);
  o.xdev = xdev;
  o.report_directories = true;
  Walker(o).walk(root, [&](const WalkEntry& e) { return seen.add(e); });
  return seen.rel_paths;
}

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

TEST(WalkerTest, VisitorStopEndsTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  for (unsigned threads : {1u, 8u}) {
    std::atomic<unsigned> visits{0};
    Walker walker(with_threads(threads));
    WalkStats stats = walker.walk(root, [&](const WalkEntry&) {
      ++visits;
      return WalkAction::stop;
    });
    EXPECT_TRUE(stats.stopped);
    // Every worker finishes at most the call it is in once the stop is requested.
    EXPECT_GE(visits.load(), 1u);
    EXPECT_LE(visits.load(), threads);
  }
}

TEST(WalkerTest, StopFromAnotherThreadEndsTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  Walker walker(with_threads(4));
  std::promise<void> first_visit, stopped;
  std::shared_future<void> stopped_future = stopped.get_future().share();
  std::atomic<bool> first{true};
  std::atomic<unsigned> after_stop{0};
  std::thread stopper([&] {
    first_visit.get_future().wait();
    walker.stop();
    stopped.set_value();
  });
  WalkStats stats = walker.walk(root, [&](const WalkEntry&) {
    if (first.exchange(false)) {
      first_visit.set_value();
      stopped_future.wait();
    } else if (stopped_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      ++after_stop;
    }
    return WalkAction::proceed;
  });
  stopper.join();
  EXPECT_TRUE(stats.stopped);
  EXPECT_LE(after_stop.load(), walker.threads());
  EXPECT_LT(stats.entries, 3000u);

  // A later walk on the same Walker starts afresh.
  std::atomic<int> visits{0};
  stats = walker.walk(root, [&](const WalkEntry&) {
    ++visits;
    return WalkAction::proceed;
  });
  EXPECT_FALSE(stats.stopped);
  EXPECT_EQ(static_cast<std::size_t>(visits.load()), find_rel(root, {"!", "-type", "d"}).size());
}

TEST(WalkerTest, VisitorExceptionIsRethrownAfterTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  Walker walker(with_threads(8));
  EXPECT_THROW(walker.walk(root,
                           [](const WalkEntry& e) -> WalkAction {
                             if (e.name == "leaf") throw std::runtime_error("boom");
                             return WalkAction::proceed;
                           }),
               std::runtime_error);
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

TEST(WalkerTest, ErrorActionStopEndsTheWalk) {
  TempDir dir;
  fs::create_symlink("self", dir / "self");
  for (int i = 0; i < 50; ++i) write_file(dir / ("d" + std::to_string(i)) / "f", "");
  WalkOptions o = with_threads(1);
  o.follow_symlinks = true;
  int errors = 0;
  o.on_error = [&](const WalkError&) {
    ++errors;
    return ErrorAction::stop;
  };
  WalkStats stats =
      Walker(o).walk(dir.path(), [](const WalkEntry&) { return WalkAction::proceed; });
  EXPECT_TRUE(stats.stopped);
  EXPECT_EQ(errors, 1);
  EXPECT_LT(stats.directories, 51u);
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

TEST(WalkerTest, XdevDoesNotEnterOtherFilesystems) {
  if (!test::is_root()) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir dir;
  write_file(dir / "here", "");
  fs::create_directory(dir / "mnt");
  ASSERT_EQ(::mount("tmpfs", (dir / "mnt").c_str(), "tmpfs", 0, "size=1m"), 0);
  Unmount unmount{dir / "mnt"};
  write_file(dir / "mnt/there", "");
  for (bool xdev : {false, true}) {
    std::multiset<std::string> expected = {"here", "mnt"};
    if (!xdev) expected.insert("mnt/there");
    EXPECT_EQ(walk_listing(dir.path(), xdev), expected) << "xdev " << xdev;
  }
}

TEST(WalkerTest, XdevDoesNotEnterABindMountOfTheSameFilesystem) {
  // A bind mount has the root's st_dev: only statx's mount-root attribute tells it apart.
  if (!test::is_root()) GTEST_SKIP() << "bind mounts need root";
  TempDir dir;
  TempDir elsewhere;
  write_file(elsewhere / "outside", "");
  fs::create_directory(dir / "mnt");
  ASSERT_EQ(::mount(elsewhere.path().c_str(), (dir / "mnt").c_str(), nullptr, MS_BIND, nullptr), 0);
  Unmount unmount{dir / "mnt"};
  for (bool xdev : {false, true}) {
    std::multiset<std::string> expected = {"mnt"};
    if (!xdev) expected.insert("mnt/outside");
    EXPECT_EQ(walk_listing(dir.path(), xdev), expected) << "xdev " << xdev;
  }
}

TEST(WalkerTest, ListsEveryEntryOfWideDirectoriesOnTmpfsLikeFind) {
  // The walker skips the getdents64 call that would return 0 only when the filesystem marks
  // the end of the directory (ext4, where the other tests run). tmpfs numbers its entries
  // differently: every entry must still be listed, across several reads per directory.
  if (!test::is_root()) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir dir;
  ASSERT_EQ(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=16m"), 0);
  Unmount unmount{dir.path()};
  for (int d = 0; d < 3; ++d) {
    fs::path sub = dir / ("d" + std::to_string(d));
    fs::create_directory(sub);
    // ~3000 entries of 60-byte names: over 200 KiB of records, several 32 KiB reads.
    for (int i = 0; i < 1000 * (d + 1); ++i) {
      test::touch(sub / (std::string(52, 'n') + std::to_string(100000 + i)));
    }
    fs::create_directory(sub / "empty");
  }
  Seen seen;
  WalkOptions o = with_threads(3);
  o.report_directories = true;
  WalkStats stats = Walker(o).walk(dir.path(), [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.rel_paths, find_rel(dir.path(), {}));
  EXPECT_EQ(stats.entries, 6000u + 6u);
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
