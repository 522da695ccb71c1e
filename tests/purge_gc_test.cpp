// cas::purge and cas::gc: what they remove and keep, never beyond the root (symlinks, mount
// points), and a purge killed midway that a re-run completes.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "operations_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::OperationsTest;

TEST_F(OperationsTest, PurgeOfADirectoryThatIsNotAStoreLeavesEveryFile) {
  // A mistyped root (a home directory, a project): nothing there is named by its hash.
  test::write_file(root() / "a.txt", "a");
  test::write_file(root() / "sub" / "b.txt", "b");
  test::write_file(root() / "ab" / "cd", "looks like a bucket, is not content");
  fs::create_directories(root() / "empty-dir");
  Store store(root());
  PurgeResult r = purge(store);
  EXPECT_EQ(r.files_removed, 0u);
  EXPECT_EQ(r.unrecognized, 3u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(files_under(root()), (std::vector<std::string>{"a.txt", "ab/cd", "sub/b.txt"}));
  EXPECT_EQ(test::read_file(root() / "sub" / "b.txt"), "b");
}
TEST_F(OperationsTest, PurgeRemovesContentButKeepsRootTempAreaAndUnrecognizedFiles) {
  populate(root(), kV0, 100);
  populate(root(), kV1, 100, 500);
  test::write_file(root() / "stray" / "deep" / "file", "x");
  test::write_file(root() / "58" / "notes.txt", "mine");  // beside content: its bucket stays
  test::write_file(root() / ".cas-tmp" / "tmp-in-progress", "writer");
  Store store(root());
  PurgeResult r = purge(store);
  EXPECT_EQ(r.files_removed, 200u);
  EXPECT_EQ(r.unrecognized, 2u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_TRUE(fs::is_directory(root()));
  EXPECT_EQ(files_under(root()), (std::vector<std::string>{".cas-tmp/tmp-in-progress",
                                                           "58/notes.txt", "stray/deep/file"}));
  EXPECT_EQ(directories_under(root()), 4u);  // .cas-tmp, 58, stray, stray/deep
}

TEST_F(OperationsTest, PurgeWithRemoveUnrecognizedRemovesEverythingButRootAndTempArea) {
  populate(root(), kV0, 100);
  populate(root(), kV1, 100, 500);
  test::write_file(root() / "stray" / "deep" / "file", "x");
  test::write_file(root() / ".cas-tmp" / "tmp-in-progress", "writer");
  Store store(root());
  PurgeOptions everything;
  everything.remove_unrecognized = true;
  PurgeResult r = purge(store, everything);
  EXPECT_EQ(r.files_removed, 201u);
  EXPECT_EQ(r.unrecognized, 0u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(files_under(root()), std::vector<std::string>{".cas-tmp/tmp-in-progress"});
  EXPECT_EQ(directories_under(root()), 1u);  // .cas-tmp
}
TEST_F(OperationsTest, PurgeNeverFollowsSymlinkOutOfRoot) {
  populate(root(), kV1, 10);
  test::write_file(tmp_ / "outside" / "precious", "keep");
  fs::create_directories(root() / "ab");
  fs::create_symlink(tmp_ / "outside", root() / "ab" / "link-to-outside");
  fs::create_symlink(tmp_ / "outside" / "precious", root() / "file-link");
  Store store(root());
  PurgeOptions everything;  // the symlinks are unrecognized: only --all removes them
  everything.remove_unrecognized = true;
  PurgeResult r = purge(store, everything);
  EXPECT_EQ(r.files_removed, 12u);
  EXPECT_EQ(test::read_file(tmp_ / "outside" / "precious"), "keep");
  EXPECT_TRUE(files_under(root()).empty());
}

TEST_F(OperationsTest, PurgeDoesNotCrossAMountPointInsideRoot) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  populate(root(), kV1, 10);
  fs::path mnt = root() / "mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m"), 0);
  test::write_file(mnt / "on-other-fs", "keep");
  Store store(root());
  PurgeResult r = purge(store);
  bool kept = fs::exists(mnt / "on-other-fs");
  ::umount(mnt.c_str());
  EXPECT_TRUE(kept);
  EXPECT_EQ(r.files_removed, 10u);
}

TEST_F(OperationsTest, PurgeDoesNotCrossABindMountOfTheSameFilesystemInsideRoot) {
  if (!test::is_root()) GTEST_SKIP() << "needs root for a bind mount";
  populate(root(), kV1, 10);
  test::write_file(tmp_ / "outside" / "precious", "keep");
  fs::path mnt = root() / "mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount((tmp_ / "outside").c_str(), mnt.c_str(), nullptr, MS_BIND, nullptr), 0);
  Store store(root());
  PurgeResult r = purge(store);
  ::umount2(mnt.c_str(), MNT_DETACH);
  EXPECT_EQ(test::read_file(tmp_ / "outside" / "precious"), "keep");
  EXPECT_EQ(r.files_removed, 10u);
}

TEST_F(OperationsTest, PurgeSurvivesSigkillAndRerunCompletes) {
  test::write_file(tmp_ / "outside", "keep");
  std::mt19937 rng(99);
  int killed_mid_run = 0;
  for (int iter = 0; iter < 50; ++iter) {
    populate(root(), iter % 2 ? static_cast<const Layout&>(kV0) : kV1, 300);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store store(root());
      purge(store);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(rng() % 15000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status);
    // Whatever survived is intact.
    for (const auto& rel : files_under(root())) {
      std::string name = fs::path(rel).filename().string();
      ASSERT_EQ(hash_bytes(test::read_file(root() / rel), HashAlgorithm::sha256), name);
    }
    Store store(root());
    ASSERT_EQ(purge(store).failed, 0u);
    ASSERT_TRUE(files_under(root()).empty());
    ASSERT_TRUE(fs::is_directory(root()));
  }
  EXPECT_EQ(test::read_file(tmp_ / "outside"), "keep");
  EXPECT_GT(killed_mid_run, 0);
}

TEST_F(OperationsTest, GcKeepsOnlyTheManifest) {
  populate(root(), kV0, 30);
  populate(root(), kV1, 30, 100);
  test::write_file(root() / "notes", "x");
  std::unordered_set<std::string> keep;
  for (int i = 0; i < 30; i += 3) keep.insert(hash_of(i));
  for (int i = 100; i < 130; i += 2) keep.insert(hash_of(i));
  Store store(root());
  GcResult r = gc(store, keep);
  EXPECT_EQ(r.kept, 10u + 15u);
  EXPECT_EQ(r.removed, 20u + 15u);
  EXPECT_EQ(r.unrecognized, 1u);
  std::set<std::string> left;
  try {
    store.walk([&](const std::string& h) { left.insert(h); });
  } catch (const UnrecognizedPathsError&) {
  }
  EXPECT_EQ(left, std::set<std::string>(keep.begin(), keep.end()));
  // Emptied V0 directories went away.
  for (int i = 1; i < 30; i += 3) {
    EXPECT_FALSE(fs::exists((root() / kV0.lookup(hash_of(i))).parent_path()));
  }
}

}  // namespace
}  // namespace cas
