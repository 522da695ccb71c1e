// `cas verify` and `cas stats`, run as a separate process: corruption found and quarantined,
// per-layout counts, and JSON output.
#include <string>

#include "cas/hash.hpp"

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::lines_of, test::parse_summary, test::sha256, test::write_file;

TEST_F(CasCliTest, VerifyPassesAnIntactStoreOfEveryAlgorithm) {
  put_v1("sha256 content");
  put_v0("legacy sha256 content");
  place(V1Layout(), hash_bytes("sha1 content", HashAlgorithm::sha1), "sha1 content");
  place(V1Layout(), hash_bytes("sha512 content", HashAlgorithm::sha512), "sha512 content");
  RunResult r = cas({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "verify") << r.out;
  EXPECT_EQ(summary["ok"], "4");
  EXPECT_EQ(summary["corrupt"], "0");
  EXPECT_EQ(summary["failed"], "0");
}

TEST_F(CasCliTest, VerifyCatchesAFlippedByte) {
  put_v1("intact");
  const std::string hash = put_v1("this will be flipped");
  write_file(v1_path(hash), "this will be flipPed");
  RunResult r = cas({"verify"});
  EXPECT_EQ(r.exit_code, 1);
  const std::string rel = V1Layout().lookup(hash);
  EXPECT_NE(r.err.find("cas: verify " + rel + ": content does not match its name"),
            std::string::npos)
      << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["ok"], "1") << r.out;
  EXPECT_EQ(summary["corrupt"], "1");
  EXPECT_EQ(summary["quarantined"], "0");
  EXPECT_TRUE(fs::exists(v1_path(hash)));  // without --quarantine it stays
}

TEST_F(CasCliTest, VerifyQuarantineMovesTheCorruptFileAway) {
  const std::string good = put_v1("intact");
  const std::string bad = put_v1("this will be flipped");
  write_file(v1_path(bad), "this will be flipPed");
  RunResult r = cas({"verify", "--quarantine"});
  EXPECT_EQ(r.exit_code, 1);
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["corrupt"], "1") << r.out;
  EXPECT_EQ(summary["quarantined"], "1");
  EXPECT_FALSE(fs::exists(v1_path(bad)));
  EXPECT_TRUE(fs::is_directory(root_ / ".cas-quarantine"));
  EXPECT_FALSE(fs::is_empty(root_ / ".cas-quarantine"));
  EXPECT_EQ(cas({"ls"}).out, good + "\n");
  EXPECT_EQ(cas({"verify"}).exit_code, 0);  // what is left is sound
}

TEST_F(CasCliTest, VerifyWithAnExplicitAlgorithm) {
  place(V1Layout(), hash_bytes("sha1 content", HashAlgorithm::sha1), "sha1 content");
  RunResult r = cas({"verify", "--algo", "sha1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["ok"], "1") << r.out;
  // A sha1 name is not sha256's to judge: counted, never called corrupt or quarantined.
  r = cas({"verify", "--algo", "sha256", "--quarantine"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(parse_summary(r.out)["unknown_algorithm"], "1") << r.out;
  EXPECT_EQ(parse_summary(r.out)["quarantined"], "0") << r.out;
}

TEST_F(CasCliTest, VerifyOfAMissingRootIsAUsageError) {
  RunResult r = cas({"verify"});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err, "cas: verify: " + root_.string() + ": no such directory\n");
}

TEST_F(CasCliTest, StatsCountsFilesPerLayoutInLookupOrder) {
  put_v1("12345");
  put_v1("123");
  put_v0("1");
  write_file(root_ / "junk", "1234");
  RunResult r = cas({"stats"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;  // then pins and last use (cas_cli_trim_test.cpp)
  EXPECT_EQ(lines[0], "layout v1: files=2 bytes=8");
  EXPECT_EQ(lines[1], "layout v0: files=1 bytes=1");
  auto summary = parse_summary(lines[2]);
  EXPECT_EQ(summary[""], "store") << lines[2];
  EXPECT_EQ(summary["hashes"], "3");
  EXPECT_EQ(summary["unrecognized_files"], "1");
  EXPECT_EQ(summary["unrecognized_bytes"], "4");
  EXPECT_EQ(summary["failed"], "0");
  for (const char* key : {"directories", "empty_directories", "temp_files", "quarantined_files"}) {
    EXPECT_EQ(summary.count(key), 1u) << key;
  }

  // --quiet silences summaries, not a command's output; --layouts sets the order.
  r = cas({"--quiet", "--layouts", "v0,v1", "stats"});
  EXPECT_EQ(lines_of(r.out).at(0), "layout v0: files=1 bytes=1") << r.out;
}

TEST_F(CasCliTest, StatsJsonIsParseableEvenWithAnOddRootName) {
  // A quote, a backslash, a control character and a byte that is not UTF-8 in the root's name.
  root_ = dir_ / "odd \"name\" \\ \t \xff";
  put_v1("12345");
  put_v0("1");
  RunResult r = cas({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult parsed = test::run(
      {"python3", "-c",
       "import json, sys\n"
       "d = json.load(sys.stdin)\n"
       "print(d['layouts']['v1']['files'], d['layouts']['v1']['bytes'], "
       "d['layouts']['v0']['files'], d['hashes'], d['failed'], d['lookup_order'], d['errors'])"},
      r.out);
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err << r.out;
  EXPECT_EQ(parsed.out, "1 5 1 2 0 ['v1', 'v0'] []\n") << r.out;
}

TEST_F(CasCliTest, StatsOfAMissingRootIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"stats", "--json"}));
}

}  // namespace
}  // namespace cas
