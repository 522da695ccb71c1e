// cas-populate as the benchmarks run it: a store of N files named by their sha256 under the
// layout, and with --age-spread the file times that trim's benchmark needs (spread over the
// days asked for, the same age for the same file in every run). Built only with the benchmarks.
#ifdef CAS_POPULATE
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "cas/hash.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::TempDir;

constexpr int kFiles = 300;

// Every file of a V1 store (root/xx/<hash>): its name -> its mtime in seconds.
std::map<std::string, double> mtimes(const fs::path& root) {
  std::map<std::string, double> out;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (!fs::is_regular_file(it->status())) continue;
    struct stat st;
    EXPECT_EQ(::stat(it->path().c_str(), &st), 0);
    const std::string name = it->path().filename().string();
    EXPECT_EQ(it->path().parent_path().filename().string(), name.substr(0, 2));
    EXPECT_EQ(hash_file(it->path(), HashAlgorithm::sha256), name) << it->path();
    out[name] = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  }
  return out;
}

test::RunResult populate(const fs::path& dir, std::vector<std::string> more) {
  std::vector<std::string> args = {CAS_POPULATE,           "--layout",  "v1", "--files",
                                   std::to_string(kFiles), "--threads", "2"};
  args.insert(args.end(), more.begin(), more.end());
  args.push_back(dir.string());
  return test::run(args);
}

TEST(CasPopulateTest, WithoutAgeSpreadEveryFileIsNew) {
  TempDir tmp;
  const double before = static_cast<double>(std::time(nullptr)) - 1;
  ASSERT_EQ(populate(tmp.path() / "s", {}).exit_code, 0);
  const auto times = mtimes(tmp.path() / "s");
  ASSERT_EQ(times.size(), static_cast<std::size_t>(kFiles));
  for (const auto& [name, t] : times) EXPECT_GE(t, before) << name;
}

TEST(CasPopulateTest, AgeSpreadDatesEachFileTheSameWayInEveryRun) {
  TempDir tmp;
  const double now = static_cast<double>(std::time(nullptr));
  ASSERT_EQ(populate(tmp.path() / "a", {"--age-spread", "30"}).exit_code, 0);
  ASSERT_EQ(populate(tmp.path() / "b", {"--age-spread", "30"}).exit_code, 0);
  const auto a = mtimes(tmp.path() / "a");
  const auto b = mtimes(tmp.path() / "b");
  ASSERT_EQ(a.size(), static_cast<std::size_t>(kFiles));
  ASSERT_EQ(b.size(), a.size());
  double oldest = now, newest = 0;
  for (const auto& [name, t] : a) {
    EXPECT_GE(t, now - 30 * 86400 - 2) << name;
    EXPECT_LE(t, now + 2) << name;
    oldest = std::min(oldest, t);
    newest = std::max(newest, t);
    // The same file, the same age: the runs differ only by when each started.
    EXPECT_NEAR(b.at(name) - t, b.begin()->second - a.begin()->second, 2.0) << name;
  }
  // Spread over the days, not bunched: 300 files cover most of 30 days.
  EXPECT_GT(newest - oldest, 25 * 86400.0);
}

TEST(CasPopulateTest, AgeSpreadMustBeANumber) {
  TempDir tmp;
  EXPECT_EQ(populate(tmp.path() / "s", {"--age-spread", "soon"}).exit_code, 2);
}

}  // namespace
}  // namespace cas
#endif  // CAS_POPULATE
