// The `cas` tool with several --remote servers (a sharded cache), run as separate processes
// against real nginx servers on loopback: the placement a `cas` process uses is the library's
// (computed here, in another process), weights, a server that is down, and the list's syntax.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/sharded_remote.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;
using test::TempDir;
using test::write_file;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

class CasCliShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    CAS_SKIP_WITHOUT_NGINX();
    for (int i = 0; i < 3; ++i) servers_.push_back(std::make_unique<test::NginxServer>());
  }

  std::string url(std::size_t i) const { return servers_[i]->url(); }

  // `cas --root dir_/root ARGS...`
  RunResult cas(const std::string& root, std::vector<std::string> args) {
    args.insert(args.begin(), {kCas, "--root", (dir_ / root).string()});
    return test::run(args);
  }

  // Puts `n` files into store `root` (no remote); returns their hashes and writes them to
  // dir_/list.
  std::vector<std::string> fill(const std::string& root, int n) {
    std::vector<std::string> args = {"put"};
    for (int i = 0; i < n; ++i) {
      const fs::path f = dir_ / ("f" + std::to_string(i));
      write_file(f, "sharded " + std::to_string(i));
      args.push_back(f.string());
    }
    RunResult put = cas(root, args);
    EXPECT_EQ(put.exit_code, 0) << put.err;
    std::vector<std::string> hashes;
    std::string list;
    for (const auto& line : test::lines_of(put.out)) {
      hashes.push_back(line.substr(0, 64));
      list += hashes.back() + "\n";
    }
    write_file(dir_ / "list", list);
    return hashes;
  }

  std::vector<std::size_t> holders(const std::string& hash) const {
    return test::servers_holding(servers_, hash);
  }

  TempDir dir_;
  std::vector<std::unique_ptr<test::NginxServer>> servers_;
};

TEST_F(CasCliShardTest, PushPlacesObjectsAsTheLibraryDoesAndPullFindsThemInAnyOrder) {
  const auto hashes = fill("a", 30);
  RunResult push =
      cas("a", {"--remote", url(0), "--remote", url(1), "--remote", url(2), "push", "-j", "4"});
  EXPECT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(test::parse_summary(push.out)["uploaded"], "30") << push.out;
  // This process computes the placement itself: it must be the one the `cas` process used.
  const ShardPlacement placement({{url(0), 1}, {url(1), 1}, {url(2), 1}});
  std::vector<int> per_server(3);
  for (const auto& h : hashes) {
    EXPECT_EQ(holders(h), std::vector<std::size_t>{placement.shard_for(h)}) << h;
    ++per_server[placement.shard_for(h)];
  }
  for (int count : per_server) EXPECT_GT(count, 0);
  // Another process, the servers listed in another order in CAS_REMOTE: the same placement.
  RunResult pull =
      test::run({"env", "CAS_REMOTE=" + url(2) + " " + url(0) + "  " + url(1), kCas, "--root",
                 (dir_ / "b").string(), "pull", "--keep", (dir_ / "list").string()});
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(pull.out,
            "pull: fetched=30 already_present=0 missing=0 corrupt=0 bytes=290 failed=0\n");
}

TEST_F(CasCliShardTest, AWeightFollowsItsUrlAndSkewsTheShare) {
  const auto hashes = fill("a", 40);
  RunResult push = cas("a", {"--remote", url(0) + " weight=3", "--remote", url(1), "push"});
  EXPECT_EQ(push.exit_code, 0) << push.err;
  const ShardPlacement placement({{url(0), 3}, {url(1), 1}});
  std::size_t on_heavy = 0;
  for (const auto& h : hashes) {
    EXPECT_EQ(holders(h), std::vector<std::size_t>{placement.shard_for(h)}) << h;
    on_heavy += placement.shard_for(h) == 0;
  }
  EXPECT_GT(on_heavy, 20u);  // 30 of 40 expected
}

TEST_F(CasCliShardTest, AServerThatIsDownFailsOnlyItsShareAndIsNamed) {
  const auto hashes = fill("a", 30);
  const std::string list = url(0) + " " + url(1) + " " + url(2);
  ASSERT_EQ(cas("a", {"--remote", list, "push"}).exit_code, 0);
  const ShardPlacement placement({{url(0), 1}, {url(1), 1}, {url(2), 1}});
  std::size_t on_down = 0;
  for (const auto& h : hashes) on_down += placement.shard_for(h) == 1;
  ASSERT_GT(on_down, 0u);
  const std::string down = url(1);
  servers_[1].reset();
  RunResult pull = cas("b", {"--remote", list, "pull", "--keep", (dir_ / "list").string()});
  EXPECT_EQ(pull.exit_code, 1);
  auto summary = test::parse_summary(pull.out);
  EXPECT_EQ(summary["fetched"], std::to_string(30 - on_down)) << pull.out;
  EXPECT_EQ(summary["failed"], std::to_string(on_down)) << pull.out;
  EXPECT_EQ(summary["missing"], "0") << pull.out;
  const std::string n = std::to_string(on_down);
  EXPECT_NE(pull.err.find("cas: pull: server " + down + ": failed=" + n + " corrupt=0 of " + n +
                          " requests"),
            std::string::npos)
      << pull.err;
  EXPECT_NE(pull.err.find("GET " + down + "/cas/"), std::string::npos) << pull.err;
  EXPECT_EQ(pull.err.find(url(0) + "/cas/"), std::string::npos) << pull.err;
}

TEST_F(CasCliShardTest, BadListsAreUsageErrorsThatRequestNothing) {
  fill("a", 1);
  const std::string secret = "http://bob:s3cret@127.0.0.1:" + std::to_string(servers_[0]->port());
  for (const std::string& value :
       {std::string("weight=2"), url(0) + " weight=0", url(0) + " weight=x", url(0) + " weight=-1",
        url(0) + " weight=1 weight=2", url(0) + " junk", url(0) + " " + url(0),
        url(0) + " " + url(0) + "/", secret + " weight=nan", secret + " " + url(0)}) {
    RunResult r = cas("a", {"--remote", value, "push"});
    EXPECT_EQ(r.exit_code, 2) << value << ": " << r.err;
    EXPECT_NE(r.err.find("cas: --remote: "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
  }
  for (const auto& server : servers_) EXPECT_EQ(server->access_log(), "");
}

}  // namespace
}  // namespace cas
