// The walker and mount points (root only): xdev stays on the root's filesystem, bind mounts
// included, and tmpfs's wide directories are listed whole.
#include <sys/mount.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/walker.hpp"
#include "test_util.hpp"
#include "walker_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::find_rel, test::Seen, test::TempDir, test::with_threads, test::write_file;

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

}  // namespace
}  // namespace cas
