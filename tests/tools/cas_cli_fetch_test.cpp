// `cas fetch` against a real nginx: the path printed, exit 1 when no URL gives the content, a
// hostile hash or URL refused with exit 2 before any request, the --remote asked first, and
// `--list` with a failure in the middle.
#include <gtest/gtest.h>

#include <boost/filesystem.hpp>

#include "fetch_test_util.hpp"
#include "nginx_server.hpp"
#include "tools/cas_cli_fixture.hpp"

namespace cas::test {
namespace {

class CasCliFetchTest : public CasCliFixture {
 protected:
  void SetUp() override {
    CasCliFixture::SetUp();
    if (IsSkipped()) return;
    CAS_SKIP_WITHOUT_NGINX();
    server_ = std::make_unique<NginxServer>();
  }
  std::unique_ptr<NginxServer> server_;
};

TEST_F(CasCliFetchTest, PrintsTheStoredPath) {
  const std::string hash = sha256("fetched\n");
  const RunResult r = cas({"fetch", hash, serve_file(*server_, "f", "fetched\n")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v1_path(hash).string() + "\n");
  EXPECT_EQ(read_file(v1_path(hash)), "fetched\n");
}

TEST_F(CasCliFetchTest, NoSourceWithTheContentExits1) {
  const std::string hash = sha256("wanted\n");
  const RunResult r =
      cas({"fetch", hash, server_->url() + "/files/none", serve_file(*server_, "w", "not it\n")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(sha256("not it\n")), std::string::npos) << r.err;
  EXPECT_FALSE(boost::filesystem::exists(v1_path(hash)));
}

TEST_F(CasCliFetchTest, AHostileHashOrUrlExits2BeforeAnyRequest) {
  const std::string url = serve_file(*server_, "x", "x");
  EXPECT_EQ(cas({"fetch", "../../../etc/passwd", url}).exit_code, 2);
  EXPECT_EQ(cas({"fetch", sha256("x").substr(0, 12), url}).exit_code, 2);
  EXPECT_EQ(cas({"fetch", std::string(64, 'A'), url}).exit_code, 2);
  const RunResult bad_url = cas({"fetch", sha256("x"), url, "gopher://127.0.0.1/x"});
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.err.find("gopher"), std::string::npos) << bad_url.err;
  // A bad line of a list stops it before its good lines are fetched.
  const std::string list = file("list", sha256("x") + " " + url + "\nnot-a-hash " + url + "\n");
  EXPECT_EQ(cas({"fetch", "--list", list}).exit_code, 2);
  EXPECT_EQ(server_->access_log(), "");
}

TEST_F(CasCliFetchTest, TheRemoteIsAskedBeforeTheUrls) {
  const std::string content = "on the shared cache\n";
  const std::string hash = sha256(content);
  boost::filesystem::create_directories(server_->data_dir() / "cas");
  write_file(server_->data_dir() / "cas" / hash, content);
  const std::string origin = serve_file(*server_, "origin", content);
  const RunResult r = cas({"--remote", server_->url(), "fetch", hash, origin});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(v1_path(hash)), content);
  EXPECT_TRUE(server_->logged("GET /cas/" + hash));
  EXPECT_EQ(count_requests(*server_, "GET /files/origin"), 0u) << server_->access_log();
}

TEST_F(CasCliFetchTest, ListWithAFailureInTheMiddle) {
  const std::string a = serve_file(*server_, "a", "aaa\n");
  const std::string c = serve_file(*server_, "c", "ccc\n");
  const std::string list =
      file("list", "# fetched by the test\n" + sha256("aaa\n") + " " + a + "\n\n" +
                       sha256("bbb\n") + " " + server_->url() + "/files/b\n" + sha256("ccc\n") +
                       " " + server_->url() + "/files/gone " + c + "\n");
  const RunResult r = cas({"fetch", "--list", list, "-j", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "fetch: fetched=2 already_present=0 failed=1 bytes=8\n");
  EXPECT_NE(r.err.find(sha256("bbb\n")), std::string::npos) << r.err;
  EXPECT_TRUE(boost::filesystem::exists(v1_path(sha256("aaa\n"))));
  EXPECT_TRUE(boost::filesystem::exists(v1_path(sha256("ccc\n"))));
  // Again: what is there is not fetched again.
  const RunResult again = cas({"fetch", "--list", list});
  EXPECT_EQ(again.out, "fetch: fetched=0 already_present=2 failed=1 bytes=0\n");
}

TEST_F(CasCliFetchTest, BazelRepoLayout) {
  const std::string hash = sha256("for bazel\n");
  const RunResult r =
      cas({"--layouts", "bazel-repo", "fetch", hash, serve_file(*server_, "z", "for bazel\n")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (root_ / hash / "file").string() + "\n");
  EXPECT_EQ(cas({"--layouts", "bazel-repo", "ls"}).out, hash + "\n");
  EXPECT_EQ(cas({"--layouts", "bazel-repo", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace cas::test
