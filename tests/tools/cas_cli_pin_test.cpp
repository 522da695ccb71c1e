// `cas pin add|ls|rm`, run as a separate process: pins listed, replaced and removed, honoured
// by trim and gc until their lease runs out, and refused when bad or read-only.
#include <ctime>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_cache_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliCacheTest, test::kCas, test::lines_of, test::parse_summary, test::write_file;

TEST_F(CasCliCacheTest, PinAddLsRmRoundTrip) {
  populate(4, [](int i) { return i * kDay; });
  // HASH arguments; a list as sha256sum and `cas put` print it; a lease.
  ASSERT_EQ(cas({"pin", "add", "release-1", hash_of(0), hash_of(1), hash_of(0)}).exit_code, 0);
  write_file(dir_ / "manifest", "# build 7\n" + hash_of(2) + "  some/file\n\n" + hash_of(3) + "\n");
  RunResult r = cas({"pin", "add", "build-7", "--keep", (dir_ / "manifest").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = cas({"pin", "add", "job.42", "--ttl", "2h", "--keep", "-"}, hash_of(2) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  add_lapsed_pin("old_lease", hash_of(3));

  r = cas({"pin", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "build-7  2  never");
  std::smatch m;
  const std::regex lease("job\\.42  1  (\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)");
  ASSERT_TRUE(std::regex_match(lines[1], m, lease)) << lines[1];
  const std::time_t expires = parse_utc(m.str(1));
  EXPECT_GE(expires, kNow + 2 * 3600);
  EXPECT_LE(expires, std::time(nullptr) + 2 * 3600);
  const std::regex expired("old_lease  1  (\\S+) \\(expired\\)");
  ASSERT_TRUE(std::regex_match(lines[2], m, expired)) << lines[2];
  EXPECT_GE(parse_utc(m.str(1)), kNow);
  EXPECT_EQ(lines[3], "release-1  2  never");  // the repeated hash is pinned once

  // Replacing a pin; removing one; removing it again.
  ASSERT_EQ(cas({"pin", "add", "release-1", hash_of(1)}).exit_code, 0);
  r = cas({"pin", "rm", "build-7"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = cas({"pin", "rm", "build-7"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "cas: pin rm build-7: no such pin\n");
  lines = lines_of(cas({"pin", "ls"}).out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "release-1  1  never");
  EXPECT_EQ(present(4), range(0, 4));  // pinning and unpinning leave the content alone
}

TEST_F(CasCliCacheTest, APinnedHashSurvivesTrimAndGcAndAnExpiredLeaseDoesNot) {
  populate(6, [](int i) { return (6 - i) * kDay; });  // 0 is the least recently used
  ASSERT_EQ(cas({"pin", "add", "keep", hash_of(0)}).exit_code, 0);
  ASSERT_EQ(cas({"pin", "add", "lease", "--ttl", "1h", hash_of(1)}).exit_code, 0);
  add_lapsed_pin("lapsed", hash_of(2));
  RunResult r = cas({"trim", "--max-files", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(6), (std::set<int>{0, 1}));
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["pinned"], "2") << r.out;
  EXPECT_EQ(summary["removed"], "4");

  populate(6, [](int i) { return (6 - i) * kDay; });
  write_file(dir_ / "keep-5", hash_of(5) + "\n");
  r = cas({"gc", "--keep", (dir_ / "keep-5").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(6), (std::set<int>{0, 1, 5}));

  // Unpinned, it goes.
  ASSERT_EQ(cas({"pin", "rm", "keep"}).exit_code, 0);
  ASSERT_EQ(cas({"trim", "--max-files", "0"}).exit_code, 0);
  EXPECT_EQ(present(6), std::set<int>{1});
}

TEST_F(CasCliCacheTest, PinWithABadNameHashListOrTtlIsAUsageErrorNamingIt) {
  populate(1, [](int) { return kDay; });
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR_SAYING(cas({"pin", "add", "../x", hash_of(0)}),
                            "cas: pin add: invalid pin name '../x': use 1 to 200 of A-Z a-z 0-9 "
                            "_ . - (not starting with '.')\n");
  EXPECT_USAGE_ERROR_SAYING(cas({"pin", "rm", ".hidden"}),
                            "cas: pin rm: invalid pin name '.hidden': use 1 to 200 of A-Z a-z "
                            "0-9 _ . - (not starting with '.')\n");
  RunResult r = cas({"pin", "add", "p", hash_of(0), "NOT-A-HASH"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("cas: pin add: invalid hash 'NOT-A-HASH'", 0), 0u) << r.err;
  write_file(dir_ / "list", hash_of(0) + "\nXYZ  file\n");
  r = cas({"pin", "add", "p", "--keep", (dir_ / "list").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("cas: " + (dir_ / "list").string() + ":2: invalid hash 'XYZ'", 0), 0u)
      << r.err;
  EXPECT_USAGE_ERROR_SAYING(
      cas({"pin", "add", "p", "--ttl", "1y", hash_of(0)}),
      "cas: --ttl: '1y' is not an age (a number with s, m, h or d: 45s, 90m, 12h, 30d)\n");
  EXPECT_USAGE_ERROR_SAYING(cas({"pin", "add", "p"}),
                            "cas: pin add: give the hashes to pin, or --keep FILE\n");
  EXPECT_EQ(cas({"pin", "add"}).exit_code, 2);
  EXPECT_EQ(cas({"pin"}).exit_code, 2);
  EXPECT_EQ(cas({"pin", "rm"}).exit_code, 2);
  r = cas({"pin", "remove", "p"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("cas: usage: unknown command 'pin remove'\n", 0), 0u) << r.err;
  EXPECT_EQ(snapshot(root_), before);
}

TEST_F(CasCliCacheTest, PinWritingIsRefusedReadOnlyAndAMissingRootIsAUsageError) {
  populate(1, [](int) { return kDay; });
  ASSERT_EQ(cas({"pin", "add", "p", hash_of(0)}).exit_code, 0);
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR_SAYING(cas({"--read-only", "pin", "add", "q", hash_of(0)}),
                            "cas: pin add: the store is read-only (--read-only)\n");
  EXPECT_USAGE_ERROR_SAYING(cas({"--read-only", "pin", "rm", "p"}),
                            "cas: pin rm: the store is read-only (--read-only)\n");
  RunResult r = cas({"--read-only", "pin", "ls"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "p  1  never\n");
  EXPECT_EQ(snapshot(root_), before);

  root_ = dir_ / "missing";
  for (const std::string sub : {"add", "ls", "rm"}) {
    std::vector<std::string> args = {"pin", sub};
    if (sub != "ls") args.push_back("p");
    if (sub == "add") args.push_back(hash_of(0));
    EXPECT_USAGE_ERROR_SAYING(cas(args),
                              "cas: pin " + sub + ": " + root_.string() + ": no such directory\n");
  }
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CasCliCacheTest, PinLsOfAStoreWithoutPinsPrintsNothing) {
  populate(1, [](int) { return kDay; });
  RunResult r = cas({"pin", "ls"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  // The global options may follow the subcommand too.
  r = test::run({kCas, "pin", "ls", "--root", root_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace cas
