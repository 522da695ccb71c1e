// pfind, run as a separate process and compared with GNU find on the same trees.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.hpp"
#include "walker_test_tree.hpp"

#ifndef CAS_PFIND
#error "CAS_PFIND must name the pfind executable"
#endif

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::record_set;
using test::RunResult;
using test::TempDir;
using test::write_file;

RunResult pfind(std::vector<std::string> args) {
  args.insert(args.begin(), CAS_PFIND);
  return test::run(args);
}

std::multiset<std::string> find0(const fs::path& root, const std::vector<std::string>& predicates,
                                 const std::string& start = "") {
  std::vector<std::string> argv = {"find", start.empty() ? root.string() : start};
  argv.insert(argv.end(), predicates.begin(), predicates.end());
  argv.insert(argv.end(), {"-printf", "%i\\t%p\\0"});
  return record_set(test::run(argv).out, '\0');
}

class PfindTest : public ::testing::Test {
 protected:
  static const fs::path& root() { return test::shared_awkward_tree(); }
};

TEST_F(PfindTest, NulRecordsEqualFindForEveryThreadCount) {
  const auto expected = find0(root(), {"!", "-type", "d"});
  ASSERT_GT(expected.size(), 3000u);
  for (const char* threads : {"1", "4", "64"}) {
    RunResult r = pfind({"-0", "-j", threads, root().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(record_set(r.out, '\0'), expected) << "-j " << threads;
  }
}

TEST_F(PfindTest, NewlineRecordsAreInodeTabPath) {
  TempDir dir;
  write_file(dir / "b/file", "");
  write_file(dir / "a", "");
  struct stat a, f;
  ASSERT_EQ(::lstat((dir / "a").c_str(), &a), 0);
  ASSERT_EQ(::lstat((dir / "b/file").c_str(), &f), 0);
  RunResult r = pfind({"--sort", dir.path().string()});
  EXPECT_EQ(r.exit_code, 0);
  const std::string d = dir.path().string();
  EXPECT_EQ(r.out, std::to_string(a.st_ino) + "\t" + d + "/a\n" + std::to_string(f.st_ino) + "\t" +
                       d + "/b/file\n");
}

TEST_F(PfindTest, JoinsPathsAsFindDoes) {
  for (std::string start :
       {root().string() + "/", root().string() + "//nested", std::string(".")}) {
    std::string cwd = start == "." ? (root() / "nested").string() : "";
    std::vector<std::string> args = {"-0", start};
    RunResult r;
    if (cwd.empty()) {
      r = pfind(args);
    } else {
      // Run from inside the tree so "." is relative.
      r = test::run({"sh", "-c", "cd \"$1\" && exec \"$2\" -0 .", "sh", cwd, CAS_PFIND});
    }
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::multiset<std::string> expected;
    if (cwd.empty()) {
      expected = find0(root(), {"!", "-type", "d"}, start);
    } else {
      expected = record_set(
          test::run(
              {"sh", "-c", "cd \"$1\" && exec find . ! -type d -printf '%i\\t%p\\0'", "sh", cwd})
              .out,
          '\0');
    }
    EXPECT_EQ(record_set(r.out, '\0'), expected) << start;
  }
}

TEST_F(PfindTest, TypeFilterEqualsFindType) {
  for (const char* type : {"f", "l", "p", "s", "d"}) {
    RunResult r = pfind({"-0", "--type", type, root().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto expected = find0(root(), {"-type", type});
    EXPECT_FALSE(expected.empty()) << type;
    EXPECT_EQ(record_set(r.out, '\0'), expected) << "--type " << type;
  }
  RunResult r = pfind({"-0", "--type", "f,l", root().string()});
  EXPECT_EQ(record_set(r.out, '\0'), find0(root(), {"(", "-type", "f", "-o", "-type", "l", ")"}));
}

TEST_F(PfindTest, MaxdepthEqualsFindMaxdepth) {
  for (const char* depth : {"0", "1", "2", "4"}) {
    RunResult r = pfind({"-0", "--maxdepth", depth, root().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(record_set(r.out, '\0'), find0(root(), {"-maxdepth", depth, "!", "-type", "d"}))
        << "--maxdepth " << depth;
  }
}

TEST_F(PfindTest, NameEqualsFindName) {
  for (const char* glob : {"*.txt", "f1*", "*[*]*", "-*"}) {
    RunResult r = pfind({"-0", "--name", glob, root().string()});
    auto expected = find0(root(), {"!", "-type", "d", "-name", glob});
    EXPECT_FALSE(expected.empty()) << glob;
    EXPECT_EQ(record_set(r.out, '\0'), expected) << "--name " << glob;
  }
}

TEST_F(PfindTest, CountPrintsTheNumberOfRecords) {
  RunResult r = pfind({"--count", "-j", "8", root().string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::to_string(find0(root(), {"!", "-type", "d"}).size()) + "\n");
}

TEST_F(PfindTest, SortIsDeterministicAndByPath) {
  RunResult a = pfind({"-0", "--sort", "-j", "16", root().string()});
  RunResult b = pfind({"-0", "--sort", "-j", "3", root().string()});
  EXPECT_EQ(a.out, b.out);
  auto records = test::split_records(a.out, '\0');
  auto path = [](const std::string& r) { return r.substr(r.find('\t') + 1); };
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end(),
                             [&](const auto& x, const auto& y) { return path(x) < path(y); }));
  EXPECT_EQ(records.size(), find0(root(), {"!", "-type", "d"}).size());
}

TEST_F(PfindTest, FileOperandsArePrintedAndMissingOnesReported) {
  const std::string missing = (root() / "missing").string();
  RunResult r =
      pfind({"-0", (root() / "plain.txt").string(), missing, (root() / "nested").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "pfind: " + missing + ": No such file or directory\n");
  auto expected = find0(root(), {"!", "-type", "d"}, (root() / "plain.txt").string());
  auto nested = find0(root(), {"!", "-type", "d"}, (root() / "nested").string());
  expected.insert(nested.begin(), nested.end());
  EXPECT_EQ(record_set(r.out, '\0'), expected);
}

TEST_F(PfindTest, FollowEqualsFindFollowOnATreeWithoutLoops) {
  TempDir dir;
  write_file(dir / "real/a/file", "");
  write_file(dir / "other/x", "");
  fs::create_symlink("../other", dir / "real/link");
  fs::create_symlink("a/file", dir / "real/filelink");
  fs::create_symlink("nowhere", dir / "real/dangling");
  RunResult r = pfind({"-0", "-L", (dir / "real").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // -L is an option before the path for find, so find0 cannot build this command.
  auto expected = record_set(
      test::run({"find", "-L", (dir / "real").string(), "!", "-type", "d", "-printf", "%i\\t%p\\0"})
          .out,
      '\0');
  EXPECT_EQ(expected.size(), 4u);
  EXPECT_EQ(record_set(r.out, '\0'), expected);
}

TEST_F(PfindTest, FollowReportsALoopAndGoesOn) {
  RunResult r = pfind({"-L", "--count", root().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pfind: " + (root() / "nested/a/up").string() +
                       ": Too many levels of symbolic links\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("pfind: " + (root() / "self").string() + ": "), std::string::npos) << r.err;
  EXPECT_GT(std::stoul(r.out), 3000u);
}

TEST_F(PfindTest, UnreadableDirectoryIsReportedAndTheRestListed) {
  TempDir dir;
  write_file(dir / "ok/file", "");
  write_file(dir / "locked/secret", "");
  write_file(dir / "locked2/deeper/secret", "");
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  for (const char* d : {"ok", "locked2"}) ASSERT_EQ(::chmod((dir / d).c_str(), 0755), 0);
  ASSERT_EQ(::chmod((dir / "locked").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((dir / "locked2/deeper").c_str(), 0700), 0);
  RunResult r;
  if (test::is_root()) {
    // Root reads everything; run as nobody, from a copy of pfind nobody can execute.
    fs::copy_file(CAS_PFIND, dir / "pfind");
    ASSERT_EQ(::chmod((dir / "pfind").c_str(), 0755), 0);
    r = test::run({"runuser", "-u", "nobody", "--", (dir / "pfind").string(), "-j", "4",
                   dir.path().string()});
  } else {
    r = pfind({"-j", "4", dir.path().string()});
  }
  EXPECT_EQ(r.exit_code, 1);
  const std::string d = dir.path().string();
  std::set<std::string> errors;
  for (const auto& line : test::split_records(r.err, '\n')) errors.insert(line);
  EXPECT_EQ(errors, (std::set<std::string>{"pfind: " + d + "/locked: Permission denied",
                                           "pfind: " + d + "/locked2/deeper: Permission denied"}));
  std::set<std::string> paths;
  for (const auto& line : test::split_records(r.out, '\n'))
    paths.insert(line.substr(line.find('\t') + 1));
  std::set<std::string> expected = {d + "/ok/file"};
  if (test::is_root()) expected.insert(d + "/pfind");
  EXPECT_EQ(paths, expected);
}

TEST_F(PfindTest, UsageErrorsExitTwo) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"--bogus"},
                                                                             {"-j", "0"},
                                                                             {"-j", "x"},
                                                                             {"-j", "0x4"},
                                                                             {"-j", "+4"},
                                                                             {"--threads"},
                                                                             {"--type", "x"},
                                                                             {"--type", "ff"},
                                                                             {"--maxdepth", "-1"},
                                                                             {"--name"},
                                                                             {"--xdev=1"}}) {
    RunResult r = pfind(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("pfind: ", 0), 0u) << r.err;
  }
}

TEST_F(PfindTest, HelpAndVersionExitZero) {
  RunResult help = pfind({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: pfind"), std::string::npos);
  // The version is project()'s in the top CMakeLists.txt, not one written into pfind.
  std::smatch m;
  std::string cmake = test::read_file(fs::path(CAS_SOURCE_DIR) / "CMakeLists.txt");
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(cas VERSION ([0-9.]+))")));
  RunResult version = pfind({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "pfind (cas) " + m.str(1) + "\n");
}

}  // namespace
}  // namespace cas
