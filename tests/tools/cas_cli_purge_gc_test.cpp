// `cas purge` and `cas gc`, run as a separate process: what they remove, keep and count.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::parse_summary, test::sha256, test::write_file;

TEST_F(CasCliTest, PurgeEmptiesTheStoreAndKeepsTheRootAndUnrecognizedFiles) {
  put_v1("one");
  put_v0("two");
  write_file(root_ / "stray" / "file", "x");
  RunResult r = cas({"purge"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "purge") << r.out;
  EXPECT_EQ(summary["files_removed"], "2");
  EXPECT_EQ(summary["unrecognized"], "1");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_NE(summary.count("directories_removed"), 0u);
  EXPECT_EQ(snapshot(root_), (std::set<std::string>{"d stray", "f stray/file x"}));

  r = cas({"purge", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["files_removed"], "1") << r.out;
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(CasCliTest, PurgeDryRunAndMissingRoot) {
  put_v1("one");
  const auto before = snapshot(root_);
  RunResult r = cas({"purge", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["dry_run"], "1") << r.out;
  EXPECT_EQ(snapshot(root_), before);
  EXPECT_USAGE_ERROR(cas_raw({"--root", (dir_ / "missing").string(), "purge"}));
}

TEST_F(CasCliTest, GcKeepsOnlyTheListedHashes) {
  const std::string a = put_v1("a"), b = put_v0("b"), c = put_v1("c"), d = put_v1("d");
  // Comments, blank lines, CRLF and `put`/sha256sum lines ("<hash>  <file>") are accepted.
  write_file(dir_ / "keep.txt",
             "# the manifest\n\n" + a + "\r\n  " + b + "  some/file\n\\" + d + "  back\\\\slash\n");
  RunResult r = cas({"gc", "--keep", (dir_ / "keep.txt").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "gc") << r.out;
  EXPECT_EQ(summary["kept"], "3");
  EXPECT_EQ(summary["removed"], "1");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(line_set(cas({"ls"}).out), (std::set<std::string>{a, b, d}));
  EXPECT_FALSE(fs::exists(v1_path(c)));
}

TEST_F(CasCliTest, GcKeepsWhatPutPrintedEvenForNamesWithNewlines) {
  write_file(dir_ / "plain", "plain");
  write_file(dir_ / "new\nline", "odd name");
  RunResult put = cas({"put", (dir_ / "plain").string(), (dir_ / "new\nline").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  write_file(dir_ / "keep", put.out);
  put_v1("not listed");
  RunResult gc = cas({"gc", "--keep", (dir_ / "keep").string()});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_TRUE(fs::exists(v1_path(sha256("plain"))));
  EXPECT_TRUE(fs::exists(v1_path(sha256("odd name"))));
  EXPECT_FALSE(fs::exists(v1_path(sha256("not listed"))));
}

TEST_F(CasCliTest, GcReadsListsFromStdinAndFromSeveralFiles) {
  const std::string a = put_v1("a"), b = put_v1("b"), c = put_v1("c");
  write_file(dir_ / "keep-b", b + "\n");
  RunResult r = cas({"gc", "--keep", "-", "--keep", (dir_ / "keep-b").string()}, a + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_set(cas({"ls"}).out), (std::set<std::string>{a, b}));
}

TEST_F(CasCliTest, GcDryRunRemovesNothing) {
  put_v1("a");
  put_v1("b");
  write_file(dir_ / "keep", "");
  const auto before = snapshot(root_);
  RunResult r = cas({"gc", "-n", "--allow-empty-keep", "--keep", (dir_ / "keep").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["removed"], "2") << r.out;
  EXPECT_EQ(summary["dry_run"], "1");
  EXPECT_EQ(snapshot(root_), before);
}

TEST_F(CasCliTest, GcWithABadListIsAUsageErrorAndRemovesNothing) {
  const std::string a = put_v1("a");
  put_v1("b");
  const auto before = snapshot(root_);
  const std::string list = (dir_ / "keep.txt").string();
  write_file(list, a + "\n# fine\nNOT-A-HASH  file\n");
  RunResult r = cas({"gc", "--keep", list});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err.rfind("cas: " + list + ":3: invalid hash 'NOT-A-HASH'", 0), 0u) << r.err;

  RunResult missing = cas({"gc", "--keep", (dir_ / "no-such-list").string()});
  EXPECT_USAGE_ERROR(missing);
  EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
  // A directory reads as an empty list on some systems: it must not mean "keep nothing".
  EXPECT_USAGE_ERROR(cas({"gc", "--keep", dir_.path().string()}));
  EXPECT_EQ(snapshot(root_), before);

  write_file(dir_ / "empty", "");
  EXPECT_USAGE_ERROR(
      cas_raw({"--root", (dir_ / "missing").string(), "gc", "--keep", (dir_ / "empty").string()}));
}

}  // namespace
}  // namespace cas
