// `cas sync`, run as a separate process: copying a source store's hashes, --delete, and a
// bad source.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::parse_summary, test::sha256, test::write_file;

class CasCliSyncTest : public CasCliTest {
 protected:
  void SetUp() override {
    CasCliTest::SetUp();
    source_ = dir_ / "source";
    for (const std::string content : {"s1", "s2", "s3"}) {
      write_file(source_ / V1Layout().lookup(sha256(content)), content);
    }
    write_file(source_ / V0Layout().lookup(sha256("s0")), "s0");  // a legacy file
  }
  std::set<std::string> source_hashes() const {
    return {sha256("s0"), sha256("s1"), sha256("s2"), sha256("s3")};
  }
  fs::path source_;
};

TEST_F(CasCliSyncTest, CopiesEveryMissingHashAndKeepsExtras) {
  const std::string extra = put_v1("only here");
  put_v1("s1");
  const auto source_before = snapshot(source_);
  RunResult r = cas({"sync", "--from", source_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "sync") << r.out;
  EXPECT_EQ(std::stoul(summary["linked"]) + std::stoul(summary["copied"]), 3u) << r.out;
  EXPECT_EQ(summary["already_present"], "1");
  EXPECT_EQ(summary["deleted"], "0");
  EXPECT_EQ(summary["failed"], "0");
  auto expected = source_hashes();
  expected.insert(extra);
  EXPECT_EQ(line_set(cas({"ls"}).out), expected);
  EXPECT_EQ(cas({"cat", sha256("s0")}).out, "s0");
  EXPECT_EQ(snapshot(source_), source_before);  // the source is only read
}

TEST_F(CasCliSyncTest, DeleteRemovesHashesTheSourceDoesNotHave) {
  put_v1("only here");
  RunResult r = cas({"sync", "--from", source_.string(), "--delete"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["deleted"], "1") << r.out;
  EXPECT_EQ(line_set(cas({"ls"}).out), source_hashes());
}

TEST_F(CasCliSyncTest, CreatesAMissingRoot) {
  RunResult r = cas({"sync", "--from", source_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_set(cas({"ls"}).out), source_hashes());
}

TEST_F(CasCliSyncTest, ABadSourceIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"sync", "--from", (dir_ / "missing").string()}));
  fs::create_directories(root_);
  EXPECT_USAGE_ERROR(cas({"sync", "--from", root_.string()}));
  EXPECT_TRUE(fs::is_empty(root_));
}

}  // namespace
}  // namespace cas
