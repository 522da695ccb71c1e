// The cache commands of the `cas` tool, run as a separate process: `trim` (least recently used
// first, to size, count and age bounds), `pin add|ls|rm`, pins honoured by trim and gc, recency
// on lookup, and what `stats` says of pins and last use.
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/pins.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::read_file;
using test::RunResult;
using test::write_file;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

const std::time_t kNow = std::time(nullptr);
constexpr std::time_t kDay = 86400;

using test::sha256;

using test::lines_of;
using test::parse_summary;
using test::set_mtime;

// "YYYY-MM-DDTHH:MM:SSZ" as seconds since the epoch; -1 when it is not that.
std::time_t parse_utc(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return end && *end == '\0' ? ::timegm(&tm) : -1;
}

std::time_t mtime_of(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtime;
}

// Every directory and file under `root` (relative), to tell that nothing changed.
std::set<std::string> snapshot(const fs::path& root) {
  std::set<std::string> entries;
  if (!fs::exists(root)) return entries;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    entries.insert(it->path().lexically_relative(root).string());
  }
  return entries;
}

class CasCliCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    root_ = dir_ / "cache";
  }

  // Runs `cas --root <root_> ARGS...`.
  RunResult cas(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {kCas, "--root", root_.string()});
    return test::run(args, input);
  }

  static std::string content_of(int i) { return "cached file " + std::to_string(i); }
  static std::string hash_of(int i) { return sha256(content_of(i)); }
  fs::path path_of(int i) const { return root_ / V1Layout().lookup(hash_of(i)); }

  // Files 0..n-1 under V1, file i last used `age(i)` seconds ago.
  template <typename Age>
  void populate(int n, Age age) {
    for (int i = 0; i < n; ++i) {
      write_file(path_of(i), content_of(i));
      set_mtime(path_of(i), kNow - age(i));
    }
  }

  // Pins `hash` as `name` with a lease that has already run out, through the library: cas pin
  // add refuses a --ttl that is not positive.
  void add_lapsed_pin(const std::string& name, const std::string& hash) const {
    Store store(root_);
    add_pin(store, name, {hash}, std::chrono::seconds(0));
  }

  std::set<int> present(int n) const {
    std::set<int> out;
    for (int i = 0; i < n; ++i) {
      if (fs::exists(path_of(i))) out.insert(i);
    }
    return out;
  }

  test::TempDir dir_;
  fs::path root_;
};

std::set<int> range(int from, int to) {
  std::set<int> out;
  for (int i = from; i < to; ++i) out.insert(i);
  return out;
}

// Expects a usage error: exit 2, nothing on stdout, exactly `message` on stderr.
#define EXPECT_USAGE_ERROR_SAYING(result, message)  \
  do {                                              \
    const RunResult& r_ = (result);                 \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err; \
    EXPECT_EQ(r_.out, "");                          \
    EXPECT_EQ(r_.err, message);                     \
  } while (0)

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

// --- pins --------------------------------------------------------------------------------------

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
