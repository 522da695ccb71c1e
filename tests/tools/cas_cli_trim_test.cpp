// The cache commands of the `cas` tool, run as a separate process: `trim` (least recently used
// first, to size, count and age bounds), recency on lookup, and what `stats` says of pins and
// last use (pins themselves: cas_cli_pin_test.cpp).
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_cache_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliCacheTest, test::lines_of, test::parse_summary, test::set_mtime, test::sha256,
    test::write_file;

// --- trim ------------------------------------------------------------------------------------

TEST_F(CasCliCacheTest, TrimRemovesTheLeastRecentlyUsedFirstAndPrintsItsSummary) {
  populate(10, [](int i) { return (10 - i) * kDay; });  // file 0 is the least recently used
  const auto before = snapshot(root_);
  std::uint64_t removed_bytes = 0;
  for (int i = 0; i < 6; ++i) removed_bytes += content_of(i).size();
  RunResult r = cas({"trim", "--max-files", "5"});  // over it: down to 90% of 5, 4 files
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(present(10), range(6, 10));
  // Every bucket that lost its last file went too.
  std::size_t directories_removed = 0;
  for (const auto& entry : before) {
    directories_removed += entry.find('/') == std::string::npos && !fs::exists(root_ / entry);
  }
  EXPECT_GT(directories_removed, 0u);
  EXPECT_EQ(r.out, "trim: scanned=10 removed=6 bytes_removed=" + std::to_string(removed_bytes) +
                       " pinned=0 recently_used=0 unrecognized=0 directories_removed=" +
                       std::to_string(directories_removed) + " failed=0\n");
}

TEST_F(CasCliCacheTest, TrimToASizeWithASuffixAndTheLowWaterMark) {
  // Ten files of 1 KiB each, file 0 the least recently used.
  for (int i = 0; i < 10; ++i) {
    write_file(path_of(i), content_of(i) + std::string(1024 - content_of(i).size(), '.'));
    set_mtime(path_of(i), kNow - (10 - i) * kDay);
  }
  RunResult r = cas({"trim", "--max-size", "8K", "--low-water", "50", "-j", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(10), range(6, 10));  // down to 50% of 8 KiB: four files
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["removed"], "6") << r.out;
  EXPECT_EQ(summary["bytes_removed"], "6144");

  // At its bound a store is left alone; --low-water 100 trims to the bound exactly.
  r = cas({"trim", "--max-size", "4096"});
  EXPECT_EQ(parse_summary(r.out)["removed"], "0") << r.out;
  r = cas({"trim", "--max-size", "3K", "--low-water", "100"});
  EXPECT_EQ(parse_summary(r.out)["removed"], "1") << r.out;
  EXPECT_EQ(present(10), range(7, 10));
}

TEST_F(CasCliCacheTest, TrimToAnAgeRemovesWhatWasLastUsedLongerAgo) {
  populate(10, [](int i) { return i * kDay + 3600; });  // file i last used i days and 1h ago
  RunResult r = cas({"trim", "--max-age", "3d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(10), range(0, 3));
  EXPECT_EQ(parse_summary(r.out)["removed"], "7") << r.out;
  // The units all work: 47h is a little under two days.
  r = cas({"trim", "--max-age", "47h"});
  EXPECT_EQ(present(10), range(0, 2));
  r = cas({"trim", "--max-age", "90m"});
  EXPECT_EQ(present(10), range(0, 1));
  r = cas({"trim", "--max-age", "3500s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(10), std::set<int>{});
}

TEST_F(CasCliCacheTest, TrimDryRunCountsAndRemovesNothingEvenReadOnly) {
  populate(10, [](int i) { return (10 - i) * kDay; });
  const auto before = snapshot(root_);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"trim", "--max-files", "5", "-n"},
           {"--read-only", "trim", "--dry-run", "--max-files", "5"}}) {
    RunResult r = cas(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(
        r.out,
        "trim: scanned=10 removed=6 bytes_removed=" + std::to_string(6 * content_of(0).size()) +
            " pinned=0 recently_used=0 unrecognized=0 directories_removed=0 failed=0 dry_run=1\n");
    EXPECT_EQ(snapshot(root_), before);
  }
  // Nothing touched either: the mtimes, which the next trim goes by, are as they were.
  EXPECT_EQ(mtime_of(path_of(0)), kNow - 10 * kDay);
}

TEST_F(CasCliCacheTest, TrimWithoutABoundIsAUsageError) {
  populate(3, [](int i) { return i * kDay; });
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR_SAYING(
      cas({"trim"}),
      "cas: trim: give at least one bound: --max-size, --max-files, --max-age or --min-free\n");
  EXPECT_USAGE_ERROR_SAYING(
      cas({"trim", "--low-water", "50", "-n"}),
      "cas: trim: give at least one bound: --max-size, --max-files, --max-age or --min-free\n");
  EXPECT_EQ(snapshot(root_), before);
}

TEST_F(CasCliCacheTest, TrimWithABadValueIsAUsageErrorNamingIt) {
  populate(3, [](int i) { return i * kDay; });
  const auto before = snapshot(root_);
  const std::string kSize = "' is not a size (bytes, or a number with K, M, G or T)\n";
  const std::string kAge = "' is not an age (a number with s, m, h or d: 45s, 90m, 12h, 30d)\n";
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-size", "12X"}), "cas: --max-size: '12X" + kSize);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-size", ""}), "cas: --max-size: '" + kSize);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-size", "-1"}), "cas: --max-size: '-1" + kSize);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-size", "2G "}), "cas: --max-size: '2G " + kSize);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-size", "16777216T"}),
                            "cas: --max-size: '16777216T' is too large (at most 2^64-1 bytes)\n");
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-age", "3w"}), "cas: --max-age: '3w" + kAge);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-age", "30"}), "cas: --max-age: '30" + kAge);
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-age", "99999d"}),
                            "cas: --max-age: '99999d' is too long (at most 36500d)\n");
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-files", "1K"}),
                            "cas: --max-files: '1K' is not a number of files\n");
  for (const std::string bad : {"0", "101", "90%"}) {
    EXPECT_USAGE_ERROR_SAYING(
        cas({"trim", "--max-files", "1", "--low-water", bad}),
        "cas: --low-water: '" + bad + "' is not a percentage (a whole number from 1 to 100)\n");
  }
  // A bad value is found before anything is done, even with a good bound beside it.
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-files", "0", "--max-age", "1x"}),
                            "cas: --max-age: '1x" + kAge);
  EXPECT_EQ(snapshot(root_), before);
}

TEST_F(CasCliCacheTest, TrimOfAMissingRootOrWithReadOnlyIsAUsageError) {
  EXPECT_USAGE_ERROR_SAYING(cas({"trim", "--max-files", "1"}),
                            "cas: trim: " + root_.string() + ": no such directory\n");
  EXPECT_FALSE(fs::exists(root_));
  populate(3, [](int i) { return i * kDay; });
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR_SAYING(cas({"--read-only", "trim", "--max-files", "1"}),
                            "cas: trim: the store is read-only (--read-only)\n");
  EXPECT_EQ(snapshot(root_), before);
}

// --- recency -----------------------------------------------------------------------------------

TEST_F(CasCliCacheTest, LookupsMarkAStaleFileUsedButNeverReadOnly) {
  populate(3, [](int) { return 2 * kDay; });
  ASSERT_EQ(cas({"--read-only", "path", hash_of(0)}).exit_code, 0);
  ASSERT_EQ(cas({"--read-only", "cat", hash_of(0)}).exit_code, 0);
  EXPECT_EQ(mtime_of(path_of(0)), kNow - 2 * kDay);

  ASSERT_EQ(cas({"path", hash_of(0)}).exit_code, 0);
  ASSERT_EQ(cas({"cat", hash_of(1)}).out, content_of(1));
  EXPECT_GE(mtime_of(path_of(0)), kNow);
  EXPECT_GE(mtime_of(path_of(1)), kNow);
  // So a trim takes the one file nobody asked for.
  RunResult r = cas({"trim", "--max-files", "2", "--low-water", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(present(3), (std::set<int>{0, 1}));
}

// --- stats -------------------------------------------------------------------------------------

TEST_F(CasCliCacheTest, StatsTextReportsPinsAndLastUse) {
  populate(5, [](int i) { return (i + 1) * kDay; });  // 1 to 5 days ago
  ASSERT_EQ(cas({"pin", "add", "p", hash_of(0), hash_of(1), sha256("absent")}).exit_code, 0);
  add_lapsed_pin("lapsed", hash_of(4));
  RunResult r = cas({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(parse_summary(lines[2])[""], "store") << r.out;
  EXPECT_EQ(lines[3], "pins: pinned_hashes=3");  // pins of absent hashes count; lapsed do not
  auto use = parse_summary(lines[4]);
  EXPECT_EQ(use[""], "last use") << lines[4];
  EXPECT_EQ(use.size(), 7u) << lines[4];
  EXPECT_EQ(parse_utc(use["oldest"]), kNow - 5 * kDay) << lines[4];
  EXPECT_EQ(parse_utc(use["median"]), kNow - 3 * kDay) << lines[4];
  EXPECT_EQ(parse_utc(use["newest"]), kNow - kDay) << lines[4];
  EXPECT_EQ(use["oldest_age"], "5d");
  EXPECT_EQ(use["median_age"], "3d");
  EXPECT_EQ(use["newest_age"], "1d");

  // No content: nothing was ever used.
  fs::remove_all(root_);
  fs::create_directories(root_);
  r = cas({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).at(3), "pins: pinned_hashes=0");
  EXPECT_EQ(lines_of(r.out).at(4),
            "last use: oldest=none median=none newest=none oldest_age=none median_age=none "
            "newest_age=none");
}

TEST_F(CasCliCacheTest, StatsJsonAddsPinsAndLastUseAfterTheExistingKeys) {
  populate(5, [](int i) { return (i + 1) * kDay; });
  ASSERT_EQ(cas({"pin", "add", "p", hash_of(0), hash_of(1)}).exit_code, 0);
  RunResult r = cas({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult parsed =
      test::run({"python3", "-c",
                 "import json, sys\n"
                 "d = json.load(sys.stdin)\n"
                 "print(' '.join(d))\n"
                 "print(d['pinned_hashes'], d['oldest_use'], d['median_use'], d['newest_use'])"},
                r.out);
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << r.out;
  auto lines = lines_of(parsed.out);
  ASSERT_EQ(lines.size(), 2u) << parsed.out;
  EXPECT_EQ(lines[0],
            "root lookup_order layouts hashes unrecognized_files unrecognized_bytes directories "
            "empty_directories temp_files temp_bytes quarantined_files failed errors pinned_hashes "
            "oldest_use median_use newest_use");
  EXPECT_EQ(lines[1], "2 " + std::to_string(kNow - 5 * kDay) + " " +
                          std::to_string(kNow - 3 * kDay) + " " + std::to_string(kNow - kDay));

  fs::remove_all(root_);
  fs::create_directories(root_);
  r = cas({"stats", "--json"});
  EXPECT_NE(r.out.find(", \"pinned_hashes\": 0, \"oldest_use\": 0, \"median_use\": 0, "
                       "\"newest_use\": 0}\n"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace cas
