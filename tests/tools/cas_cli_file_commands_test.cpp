// The `cas` commands on single stored files, run as a separate process: put, insert, path,
// cat, rm and ls.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::kCas, test::lines_of, test::read_file, test::sha256, test::write_file;

TEST_F(CasCliTest, PutPrintsHashTwoSpacesAndNameLikeSha256sum) {
  write_file(dir_ / "a", "alpha\n");
  write_file(dir_ / "b b", "beta\n");
  write_file(dir_ / "c\nd\\e", "gamma\n");  // escaped as sha256sum does: "\<hash>  c\nd\\e"
  const std::vector<std::string> files = {(dir_ / "a").string(), (dir_ / "b b").string(),
                                          (dir_ / "c\nd\\e").string()};
  for (const auto& [algo, tool] :
       std::vector<std::pair<std::string, std::string>>{{"", "sha256sum"},
                                                        {"sha1", "sha1sum"},
                                                        {"sha256", "sha256sum"},
                                                        {"sha512", "sha512sum"}}) {
    SCOPED_TRACE(tool);
    std::vector<std::string> args = {"put"};
    if (!algo.empty()) args.insert(args.end(), {"--algo", algo});
    args.insert(args.end(), files.begin(), files.end());
    RunResult r = cas(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<std::string> sum = {tool};
    sum.insert(sum.end(), files.begin(), files.end());
    EXPECT_EQ(r.out, test::run(sum).out);
    EXPECT_EQ(lines_of(r.out).size(), 3u);
    for (const auto& line : lines_of(r.out)) {
      const std::size_t start = line[0] == '\\' ? 1 : 0;
      const std::string hash = line.substr(start, line.find(' ') - start);
      EXPECT_TRUE(fs::exists(v1_path(hash))) << hash;
    }
  }
  EXPECT_EQ(read_file(dir_ / "a"), "alpha\n");  // put leaves its sources alone
}

TEST_F(CasCliTest, PutOfAMissingFileFailsButStoresTheOthers) {
  write_file(dir_ / "good", "good");
  const std::string missing = (dir_ / "missing").string();
  RunResult r = cas({"put", missing, (dir_ / "good").string(), dir_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, sha256("good") + "  " + (dir_ / "good").string() + "\n");
  EXPECT_NE(r.err.find("cas: put " + missing + ": no such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cas: put " + dir_.path().string() + ": "), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(v1_path(sha256("good"))));
}

TEST_F(CasCliTest, PutLsPathCatRmRoundTrip) {
  write_file(dir_ / "one", "first file\n");
  write_file(dir_ / "two", "second file\n");
  RunResult put = cas({"put", (dir_ / "one").string(), (dir_ / "two").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string one = sha256("first file\n"), two = sha256("second file\n");

  RunResult ls = cas({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(line_set(ls.out), (std::set<std::string>{one, two}));
  EXPECT_EQ(lines_of(ls.out).size(), 2u);

  RunResult path = cas({"path", one});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  EXPECT_EQ(path.out, v1_path(one).string() + "\n");

  RunResult cat = cas({"cat", two});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "second file\n");

  RunResult rm = cas({"rm", one, two});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "");
  EXPECT_EQ(cas({"ls"}).out, "");
  EXPECT_EQ(cas({"path", one}).exit_code, 1);
  EXPECT_EQ(cas({"cat", two}).exit_code, 1);
}

TEST_F(CasCliTest, CatIsBinarySafe) {
  std::string bytes;
  for (int round = 0; round < 300; ++round) {
    for (int c = 0; c < 256; ++c) bytes += static_cast<char>(c);
  }
  const std::string hash = put_v1(bytes);
  RunResult r = cas({"cat", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, bytes);

  const std::string empty = put_v1("");
  r = cas({"cat", empty});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CasCliTest, PathAndCatOfAnAbsentHashExitOne) {
  fs::create_directories(root_);
  const std::string absent = sha256("absent");
  for (const std::string command : {"path", "cat"}) {
    RunResult r = cas({command, absent});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "cas: " + command + " " + absent + ": not in the store\n");
  }
}

TEST_F(CasCliTest, PathAndCatFindAV0FileAndMigrateIt) {
  const std::string hash = put_v0("old cache entry");
  RunResult r = cas({"path", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v1_path(hash).string() + "\n");
  EXPECT_FALSE(fs::exists(v0_path(hash).parent_path()));

  const std::string other = put_v0("another old entry");
  r = cas({"cat", other});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "another old entry");
}

TEST_F(CasCliTest, InsertMovesTheFileAndCopyLeavesIt) {
  write_file(dir_ / "moved", "moved");
  RunResult r = cas({"insert", sha256("moved"), (dir_ / "moved").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir_ / "moved"));
  EXPECT_EQ(read_file(v1_path(sha256("moved"))), "moved");

  write_file(dir_ / "copied", "copied");
  r = cas({"insert", "--copy", sha256("copied"), (dir_ / "copied").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir_ / "copied"), "copied");
  EXPECT_EQ(read_file(v1_path(sha256("copied"))), "copied");
}

TEST_F(CasCliTest, InsertOfAMissingFileExitsOneNamingHashAndFile) {
  const std::string hash = sha256("nothing");
  const std::string file = (dir_ / "nothing").string();
  RunResult r = cas({"insert", hash, file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cas: insert " + hash + ": " + file + ": no such file\n");
  EXPECT_FALSE(fs::exists(v1_path(hash)));
}

TEST_F(CasCliTest, RmRemovesEveryLayoutsCopyAndAnAbsentHashIsNotAnError) {
  const std::string hash = put_v1("twice");
  place(V0Layout(), hash, "twice");
  RunResult r = cas({"rm", hash, sha256("never stored")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(fs::exists(v1_path(hash)));
  EXPECT_FALSE(fs::exists(v0_path(hash)));
  EXPECT_TRUE(fs::exists(root_));
}

TEST_F(CasCliTest, LsOfAMissingRootIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"ls"}));
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CasCliTest, LsListsBothLayoutsOnceAndReportsUnrecognizedFiles) {
  const std::string a = put_v1("a"), b = put_v0("b");
  place(V0Layout(), a, "a");  // the same hash under both layouts is listed once
  write_file(root_ / "README", "not a hash");
  write_file(root_ / "ab" / "stray", "not a hash either");
  RunResult r = cas({"ls"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(line_set(r.out), (std::set<std::string>{a, b}));
  EXPECT_EQ(lines_of(r.out).size(), 2u);
  EXPECT_NE(r.err.find("cas: ls: unrecognized file: README\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cas: ls: unrecognized file: ab/stray\n"), std::string::npos) << r.err;
}

TEST_F(CasCliTest, AWriteErrorOnStdoutExitsOne) {
  const std::string hash = put_v1("to nowhere");
  for (const std::string& command : std::vector<std::string>{"ls", "cat " + hash}) {
    SCOPED_TRACE(command);
    RunResult r = test::run(
        {"sh", "-c",
         std::string(kCas) + " --root " + root_.string() + " " + command + " >/dev/full"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("cas: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace cas
