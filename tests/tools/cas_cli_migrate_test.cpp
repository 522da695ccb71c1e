// `cas migrate`, run as a separate process: the IPS migrate tool's own tests, ported.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::lines_of, test::parse_summary, test::read_file, test::sha256,
    test::write_file;

class CasCliMigrateTest : public CasCliTest {
 protected:
  // Five V0 files; the first two share a V0 directory (the same first 8 hex digits).
  void make_v0_store() {
    for (int i = 0; i < 5; ++i) hashes_.push_back(sha256("file " + std::to_string(i)));
    hashes_[1].replace(0, 8, hashes_[0].substr(0, 8));
    ASSERT_EQ(v0_path(hashes_[0]).parent_path(), v0_path(hashes_[1]).parent_path());
    for (const auto& hash : hashes_) place(V0Layout(), hash, "content of " + hash);
  }

  std::vector<std::string> hashes_;
};

TEST_F(CasCliMigrateTest, MovesEveryV0FileToV1AndRemovesTheOldDirectories) {
  make_v0_store();
  RunResult r = cas({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no terminal: no progress bar
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "migrate") << r.out;
  EXPECT_EQ(summary["moved"], "5");
  EXPECT_EQ(summary["already_in_place"], "0");
  EXPECT_EQ(summary["duplicates_removed"], "0");
  EXPECT_EQ(summary["unrecognized"], "0");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(summary.count("dry_run"), 0u);
  EXPECT_EQ(lines_of(r.out).size(), 1u);
  for (const auto& hash : hashes_) {
    EXPECT_EQ(read_file(v1_path(hash)), "content of " + hash);
    EXPECT_FALSE(fs::exists(v0_path(hash))) << hash;
    EXPECT_FALSE(fs::exists(v0_path(hash).parent_path())) << hash;
  }
  // Nothing is left but the V1 buckets and their files.
  for (const auto& entry : snapshot(root_)) {
    EXPECT_TRUE(entry.size() == 4 || entry[0] == 'f') << entry;
  }
}

TEST_F(CasCliMigrateTest, ASecondRunSucceedsAndChangesNothing) {
  make_v0_store();
  ASSERT_EQ(cas({"migrate"}).exit_code, 0);
  const auto after_first = snapshot(root_);
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["moved"], "0") << r.out;
  EXPECT_EQ(summary["already_in_place"], "5");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(snapshot(root_), after_first);
}

TEST_F(CasCliMigrateTest, NoRootAnExtraArgumentOrAMissingRootExitTwo) {
  make_v0_store();
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR(cas_raw({"migrate"}));
  EXPECT_USAGE_ERROR(cas({"migrate", "extra"}));
  EXPECT_EQ(snapshot(root_), before);

  const fs::path missing = dir_ / "missing";
  RunResult r = cas_raw({"--root", missing.string(), "migrate"});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err, "cas: migrate: " + missing.string() + ": no such directory\n");
  EXPECT_FALSE(fs::exists(missing));

  write_file(dir_ / "a-file", "");
  EXPECT_USAGE_ERROR(cas_raw({"--root", (dir_ / "a-file").string(), "migrate"}));
}

TEST_F(CasCliMigrateTest, AnEmptyRootExitsZero) {
  fs::create_directories(root_);
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "migrate: moved=0 already_in_place=0 duplicates_removed=0 unrecognized=0 "
            "directories_removed=0 failed=0\n");
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(CasCliMigrateTest, DryRunCountsAndChangesNothingEvenReadOnly) {
  make_v0_store();
  const auto before = snapshot(root_);
  for (const bool read_only : {false, true}) {
    std::vector<std::string> args = {"migrate", "--dry-run"};
    if (read_only) args.insert(args.begin(), "--read-only");
    RunResult r = cas(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto summary = parse_summary(r.out);
    EXPECT_EQ(summary["moved"], "5") << r.out;
    EXPECT_EQ(summary["dry_run"], "1") << r.out;
    EXPECT_EQ(snapshot(root_), before);
  }
}

TEST_F(CasCliMigrateTest, QuietPrintsNothingAndWorksWithAnyThreadCount) {
  make_v0_store();
  RunResult r = cas({"--quiet", "migrate", "-j", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  for (const auto& hash : hashes_) EXPECT_TRUE(fs::exists(v1_path(hash)));
  // Back to V0, then again with many threads and the long option names.
  for (const auto& hash : hashes_) {
    fs::remove(v1_path(hash));
    place(V0Layout(), hash, "content of " + hash);
  }
  r = cas({"migrate", "--threads", "16", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  for (const auto& hash : hashes_) EXPECT_TRUE(fs::exists(v1_path(hash)));
}

TEST_F(CasCliMigrateTest, UnrecognizedFilesAreLeftAloneAndCounted) {
  make_v0_store();
  write_file(root_ / "notes.txt", "mine");
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["moved"], "5") << r.out;
  EXPECT_EQ(summary["unrecognized"], "1") << r.out;
  EXPECT_EQ(read_file(root_ / "notes.txt"), "mine");
}

}  // namespace
}  // namespace cas
