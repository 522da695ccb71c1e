// cas-bench as a user runs it, on tiny matrices: the floor columns and CSV rows it promises,
// its scratch filesystems (made, used, and gone afterwards), cold opens with disk reads, its
// usage errors and its bench-directory lock. Built only with the benchmarks (CAS_BENCH).
#ifdef CAS_BENCH
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;
using test::TempDir;

RunResult bench(std::vector<std::string> args) {
  args.insert(args.begin(), CAS_BENCH);
  return test::run(args);
}

std::vector<std::string> tiny(const fs::path& out) {
  return {"--sizes",   "10,300", "--rounds",   "1",         "--ops", "20",    "--fsync-ops", "2",
          "--layouts", "v1,v0",  "--no-chart", "--threads", "2",     "--out", out.string()};
}

// CSV rows (layout, files, operation) -> the row's fields.
std::map<std::string, std::vector<std::string>> csv_rows(const fs::path& csv) {
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& line : test::lines_of(test::read_file(csv))) {
    std::vector<std::string> f;
    std::stringstream s(line);
    for (std::string x; std::getline(s, x, ',');) f.push_back(x);
    if (f.size() >= 3) rows[f[0] + " " + f[1] + " " + f[2]] = f;
  }
  return rows;
}

// The scratch mount points a run reported ("made a ... filesystem for N files at DIR").
std::vector<std::string> scratch_dirs(const std::string& err) {
  std::vector<std::string> dirs;
  std::regex made("filesystem for \\S+ files at (/\\S+)");
  for (std::sregex_iterator it(err.begin(), err.end(), made), end; it != end; ++it) {
    dirs.push_back((*it)[1].str());
  }
  return dirs;
}

// The loop devices whose backing file lies under `dir`, waiting up to 5 s for the kernel to
// detach those that nothing holds any more.
std::vector<std::string> loop_devices_over(const fs::path& dir) {
  std::vector<std::string> found;
  for (int attempt = 0; attempt < 50; ++attempt) {
    found.clear();
    for (const auto& entry : fs::directory_iterator("/sys/block")) {
      // Not every block device is a loop device, and another one may detach meanwhile.
      std::ifstream backing((entry.path() / "loop" / "backing_file").string());
      std::string file;
      if (std::getline(backing, file) && file.rfind(dir.string(), 0) == 0) {
        found.push_back(entry.path().filename().string());
      }
    }
    if (found.empty()) break;
    ::usleep(100 * 1000);
  }
  return found;
}

// Whether `dir` is still mounted or still exists.
bool left_behind(const std::string& dir) {
  return test::read_file("/proc/mounts").find(" " + dir + " ") != std::string::npos ||
         fs::exists(dir);
}

TEST(CasBenchTest, EveryPlacementOperationHasItsFloorInTheTableAndTheCsv) {
  TempDir out;
  RunResult r = bench(tiny(out.path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string table = test::read_file(out / "table.md");
  EXPECT_NE(table.find("| files | v1 | floor | cas/floor | v0 | floor | cas/floor |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("- command: `"), std::string::npos);
  auto rows = csv_rows(out / "results.csv");
  for (const char* op : {"insert", "remove", "open_hit", "open_miss"}) {
    for (const char* layout : {"\"v1\"", "\"v0\""}) {
      for (const char* size : {"10", "300"}) {
        for (std::string name : {std::string(op), std::string(op) + "_floor"}) {
          auto it = rows.find(std::string(layout) + " " + size + " " + name);
          ASSERT_NE(it, rows.end()) << layout << " " << size << " " << name;
          EXPECT_GT(std::stod(it->second[3]), 0.0) << name;
          // ops measured: --ops 20, as two runs of 10 (cas, floor, floor, cas)
          EXPECT_EQ(it->second[5], "20") << name;
        }
      }
    }
  }
  EXPECT_EQ(rows.count("\"v1\" 10 insert_fsync_floor"), 0u);  // no floor claimed where none is
}

TEST(CasBenchTest, UsageErrorsExitTwo) {
  TempDir out;
  for (std::vector<std::string> bad : {std::vector<std::string>{"--make-fs", "ntfs"},
                                       {"--make-fs", "tmpfs", "--bench-dir", out.path().string()},
                                       {"--make-fs", "tmpfs", "--fs-size", "lots"},
                                       {"--layouts", "v9"}}) {
    RunResult r = bench(bad);
    EXPECT_EQ(r.exit_code, 2) << bad[1] << ": " << r.err;
  }
}

TEST(CasBenchTest, ASecondRunOnTheSameBenchDirIsRefused) {
  TempDir dir, out;
  int fd = ::open((dir / ".cas-bench-lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto args = tiny(out.path());
  args.insert(args.end(), {"--bench-dir", dir.path().string()});
  RunResult r = bench(args);
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another cas-bench is using " + dir.path().string()), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out / "results.csv"));
}

class CasBenchScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "--make-fs mounts filesystems: needs root";
  }
};

TEST_F(CasBenchScratchTest, TmpfsIsMadeUsedAndGoneAfterwards) {
  TempDir out;
  auto args = tiny(out.path());
  args.insert(args.end(), {"--make-fs", "tmpfs", "--fs-size", "256M"});
  RunResult r = bench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(out / "table.md").find("- filesystem: tmpfs (`mount -t tmpfs"),
            std::string::npos);
  const auto dirs = scratch_dirs(r.err);
  EXPECT_EQ(dirs.size(), 2u) << r.err;  // one per size: 10 and 300 files
  for (const auto& dir : dirs) EXPECT_FALSE(left_behind(dir)) << dir;
  auto rows = csv_rows(out / "results.csv");
  EXPECT_EQ(rows.count("\"v0\" 300 remove_floor"), 1u);
  // tmpfs has no block device: no reads column, rather than another device's.
  ASSERT_EQ(rows.count("\"v1\" 300 open_hit"), 1u);
  EXPECT_EQ(rows.at("\"v1\" 300 open_hit").size(), 7u);
}

TEST_F(CasBenchScratchTest, ColdOpensOnAnExt4ImageCountDiskReadsAndImageAndLoopAreRemoved) {
  if (test::run({"sh", "-c", "command -v mkfs.ext4"}).exit_code != 0) {
    GTEST_SKIP() << "mkfs.ext4 (e2fsprogs) is not installed";
  }
  TempDir out, images;
  auto args = tiny(out.path());
  args.insert(args.end(), {"--make-fs", "ext4", "--fs-size", "1G", "--fs-image-dir",
                           images.path().string(), "--cold-at", "300"});
  RunResult r = bench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = csv_rows(out / "results.csv");
  for (const char* op : {"open_hit_cold", "open_hit_cold_floor", "open_miss_cold"}) {
    auto it = rows.find(std::string("\"v1\" 300 ") + op);
    ASSERT_NE(it, rows.end()) << op;
    ASSERT_EQ(it->second.size(), 8u) << op;
    EXPECT_GE(std::stod(it->second[7]), 0.0) << op;  // reads per op, from /proc/diskstats
  }
  // A cold hit must read something from the disk: the directory, the inode.
  EXPECT_GT(std::stod(rows.at("\"v1\" 300 open_hit_cold")[7]), 0.0);
  EXPECT_EQ(rows.count("\"v1\" 10 open_hit_cold"), 0u);  // only the --cold-at sizes
  EXPECT_TRUE(fs::is_empty(images.path()));
  EXPECT_TRUE(loop_devices_over(images.path()).empty());
  // A buffered loop device would cache every block twice (cas-bench warns when it gets one).
  EXPECT_NE(test::read_file(out / "table.md").find("on a direct-I/O loop device"),
            std::string::npos);
  EXPECT_EQ(r.err.find("works buffered"), std::string::npos) << r.err;
  const auto dirs = scratch_dirs(r.err);
  EXPECT_EQ(dirs.size(), 2u) << r.err;  // one per size: 10 and 300 files
  for (const auto& dir : dirs) EXPECT_FALSE(left_behind(dir)) << dir;
}

// btrfs gives its files an anonymous device number that /proc/diskstats does not list; the
// reads are those of the device the scratch filesystem is mounted from.
TEST_F(CasBenchScratchTest, ColdOpensOnBtrfsCountTheReadsOfTheDeviceItIsMountedFrom) {
  if (test::run({"sh", "-c", "command -v mkfs.btrfs"}).exit_code != 0) {
    GTEST_SKIP() << "mkfs.btrfs (btrfs-progs) is not installed";
  }
  TempDir out, images;
  auto args = tiny(out.path());
  args[1] = "300";  // --sizes: one filesystem is enough here (mkfs.btrfs and its mount are slow)
  args.insert(args.end(), {"--make-fs", "btrfs", "--fs-size", "1G", "--fs-image-dir",
                           images.path().string(), "--cold-at", "300"});
  RunResult r = bench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = csv_rows(out / "results.csv");
  for (const char* op : {"open_hit_cold", "open_hit_cold_floor"}) {
    auto it = rows.find(std::string("\"v1\" 300 ") + op);
    ASSERT_NE(it, rows.end()) << op;
    ASSERT_EQ(it->second.size(), 8u) << op;
    EXPECT_GT(std::stod(it->second[7]), 0.0) << op;
  }
  EXPECT_NE(test::read_file(out / "table.md").find("v1 reads"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(images.path()));
  EXPECT_TRUE(loop_devices_over(images.path()).empty());
}

}  // namespace
}  // namespace cas
#endif  // CAS_BENCH
