// `cas trim` whose removals fail: it goes on with the rest, names every file it could not
// remove on stderr, counts them (failed=) and exits 1, as every bulk command does.
//
// The removals fail for real. As root (who ignores modes) the tool runs as `nobody` over a store
// owned by root; otherwise the bucket directories are made read-only (0555) for their owner.
#include <sys/stat.h>

#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

constexpr std::time_t kDay = 86400;
constexpr int kFiles = 10;

std::string content_of(int i) { return "cached file " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

class CasCliTrimFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    fs::permissions(dir_.path(), fs::perms(0755));  // nobody may reach the store
    root_ = dir_ / "cache";
    const std::time_t now = std::time(nullptr);
    for (int i = 0; i < kFiles; ++i) {  // file 0 is the least recently used
      test::write_file(path_of(i), content_of(i));
      test::set_mtime(path_of(i), now - (kFiles - i) * kDay);
    }
    if (!test::is_root()) {
      for (fs::directory_iterator it(root_), end; it != end; ++it) {
        fs::permissions(it->path(), fs::perms(0555));
      }
    }
  }

  fs::path path_of(int i) const { return root_ / V1Layout().lookup(hash_of(i)); }

  // Runs `cas --root <root_> ARGS...` as a user who may not remove the store's files.
  RunResult cas_unprivileged(std::vector<std::string> args) const {
    args.insert(args.begin(), {kCas, "--root", root_.string()});
    if (test::is_root()) args.insert(args.begin(), {"runuser", "-u", "nobody", "--"});
    return test::run(args);
  }

  std::size_t present() const {
    std::size_t n = 0;
    for (int i = 0; i < kFiles; ++i) n += fs::exists(path_of(i));
    return n;
  }

  test::TempDir dir_;
  fs::path root_;
};

TEST_F(CasCliTrimFailureTest, TrimWhoseRemovalsFailExitsOneAndNamesEveryFile) {
  RunResult r = cas_unprivileged({"trim", "--max-files", "5"});  // 6 files must go: down to 4
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto summary = test::parse_summary(test::lines_of(r.out).at(0));
  EXPECT_EQ(summary.at(""), "trim");
  EXPECT_EQ(summary.at("scanned"), "10");
  EXPECT_EQ(summary.at("removed"), "0");
  // Every failure is counted and named with its reason; the files tried are among the six
  // least recently used (a removal that failed is no removal: the newer files are not tried).
  const int failed = std::stoi(summary.at("failed"));
  EXPECT_GT(failed, 0);
  std::set<std::string> oldest;
  for (int i = 0; i < 6; ++i) oldest.insert(path_of(i).string());
  const std::vector<std::string> errors = test::lines_of(r.err);
  EXPECT_EQ(errors.size(), static_cast<std::size_t>(failed)) << r.err;
  const std::string prefix = "cas: trim: unlink ", suffix = ": Permission denied";
  for (const std::string& line : errors) {
    ASSERT_TRUE(line.starts_with(prefix) && line.ends_with(suffix)) << line;
    const std::string path =
        line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
    EXPECT_EQ(oldest.count(path), 1u) << line;
  }
  EXPECT_EQ(present(), static_cast<std::size_t>(kFiles));
}

TEST_F(CasCliTrimFailureTest, TrimThatRemovesNothingBecauseNothingMustGoExitsZero) {
  // The same store and user, but within the bound: no removal is tried, none fails.
  RunResult r = cas_unprivileged({"trim", "--max-files", "10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(test::parse_summary(test::lines_of(r.out).at(0)).at("failed"), "0");
  EXPECT_EQ(present(), static_cast<std::size_t>(kFiles));
}

}  // namespace
}  // namespace cas
