// The `cas` tool with a remote tier (--remote, CAS_REMOTE, --remote-read-only, --remote-ca,
// push, pull), run as a separate process against a real nginx on loopback.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::read_file;
using test::RunResult;
using test::TempDir;
using test::write_file;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

class CasCliRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    CAS_SKIP_WITHOUT_NGINX();
    nginx_ = std::make_unique<test::NginxServer>();
  }

  // Runs `cas --root <dir_/root> --remote <url> ARGS...`.
  RunResult cas(const std::string& root, const std::string& url, std::vector<std::string> args) {
    args.insert(args.begin(), {kCas, "--root", (dir_ / root).string(), "--remote", url});
    return test::run(args);
  }
  std::string url() const { return nginx_->url(); }
  fs::path object(const std::string& hash) const { return nginx_->data_dir() / "cas" / hash; }

  TempDir dir_;
  std::unique_ptr<test::NginxServer> nginx_;
};

TEST_F(CasCliRemoteTest, PutWritesThroughAndPathAndCatReadThroughOnAnotherRoot) {
  write_file(dir_ / "f", "shared content");
  const std::string hash = hash_bytes("shared content", HashAlgorithm::sha512);
  RunResult put = cas("a", url(), {"put", "--algo", "sha512", (dir_ / "f").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(read_file(object(hash)), "shared content");
  RunResult cat = cas("b", url(), {"cat", hash});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "shared content");
  RunResult path = cas("c", url(), {"path", hash});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  EXPECT_EQ(read_file(test::lines_of(path.out).at(0)), "shared content");
}

TEST_F(CasCliRemoteTest, InsertWritesThroughAndTheRemoteComesFromTheEnvironment) {
  write_file(dir_ / "f", "from env");
  const std::string hash = hash_bytes("from env", HashAlgorithm::sha1);
  RunResult r = test::run({"env", "CAS_REMOTE=" + url(), kCas, "--root", (dir_ / "a").string(),
                           "insert", hash, (dir_ / "f").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(object(hash)), "from env");
}

TEST_F(CasCliRemoteTest, RemoteReadOnlyReadsThroughButNeverUploads) {
  write_file(dir_ / "f", "local only");
  RunResult put = cas("a", url(), {"--remote-read-only", "put", (dir_ / "f").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_FALSE(fs::exists(object(hash_bytes("local only", HashAlgorithm::sha256))));
  write_file(object(hash_bytes("remote", HashAlgorithm::sha256)), "remote");
  RunResult cat =
      cas("a", url(), {"--remote-read-only", "cat", hash_bytes("remote", HashAlgorithm::sha256)});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "remote");
}

TEST_F(CasCliRemoteTest, RefusedUploadKeepsTheLocalCopyExitsOneAndHidesCredentials) {
  write_file(dir_ / "f", "refused");
  const std::string hash = hash_bytes("refused", HashAlgorithm::sha256);
  const std::string secret_url =
      "http://carol:t0p-s3cret@127.0.0.1:" + std::to_string(nginx_->port()) + "/ro";
  RunResult put = cas("a", secret_url, {"put", (dir_ / "f").string()});
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_EQ(put.out, hash + "  " + (dir_ / "f").string() + "\n");
  EXPECT_NE(put.err.find("cas: remote: PUT " + url() + "/ro/cas/" + hash + ": HTTP 403"),
            std::string::npos)
      << put.err;
  EXPECT_EQ(put.err.find("s3cret"), std::string::npos) << put.err;
  EXPECT_EQ(read_file(dir_ / "a" / hash.substr(0, 2) / hash), "refused");
}

TEST_F(CasCliRemoteTest, CatOfAHashTheRemoteServesCorruptExitsOneAndStoresNothing) {
  const std::string hash = hash_bytes("genuine", HashAlgorithm::sha256);
  write_file(object(hash), "forged");
  RunResult cat = cas("a", url(), {"cat", hash});
  EXPECT_EQ(cat.exit_code, 1);
  EXPECT_EQ(cat.out, "");
  EXPECT_NE(cat.err.find("cas: remote: GET " + url() + "/cas/" + hash + ": body hashes to"),
            std::string::npos)
      << cat.err;
  EXPECT_FALSE(fs::exists(dir_ / "a" / hash.substr(0, 2) / hash));
}

TEST_F(CasCliRemoteTest, PushThenPullPrintTheirSummaries) {
  std::string list;
  std::uint64_t bytes = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string content = "file number " + std::to_string(i);
    write_file(dir_ / ("f" + std::to_string(i)), content);
    bytes += content.size();
  }
  // A store filled without the remote, then pushed.
  RunResult put = test::run({kCas, "--root", (dir_ / "a").string(), "put", (dir_ / "f0").string(),
                             (dir_ / "f1").string(), (dir_ / "f2").string(), (dir_ / "f3").string(),
                             (dir_ / "f4").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  write_file(dir_ / "list", put.out);
  const std::string b = std::to_string(bytes);
  RunResult dry = cas("a", url(), {"push", "-n"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "push: checked=5 uploaded=5 already_present=0 bytes=" + b + " failed=0 dry_run=1\n");
  RunResult push = cas("a", url(), {"push", "-j", "4"});
  EXPECT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(push.out, "push: checked=5 uploaded=5 already_present=0 bytes=" + b + " failed=0\n");
  // -j 0 is the default number of transfers in flight, as it is the default thread count of
  // the bulk commands.
  EXPECT_EQ(cas("a", url(), {"push", "-j", "0"}).out,
            "push: checked=5 uploaded=0 already_present=5 bytes=0 failed=0\n");

  RunResult pull = cas("b", url(), {"pull", "--keep", (dir_ / "list").string()});
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(pull.out,
            "pull: fetched=5 already_present=0 missing=0 corrupt=0 bytes=" + b + " failed=0\n");
  const std::string missing = hash_bytes("missing", HashAlgorithm::sha256);
  const std::string first = test::lines_of(put.out).at(0).substr(0, 64);
  RunResult again = cas("b", url(), {"pull", first, missing});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "pull: fetched=0 already_present=1 missing=1 corrupt=0 bytes=0 failed=0\n");
  // Said once: not "cas: pull: pull <hash>: ...".
  EXPECT_EQ(again.err, "cas: pull " + missing + ": not on the remote (404)\n");
}

TEST_F(CasCliRemoteTest, PullFromAServerThatIsDownExitsOne) {
  const std::string down = "http://127.0.0.1:" + std::to_string(test::unused_port());
  const std::string hash = hash_bytes("x", HashAlgorithm::sha256);
  RunResult pull = cas("a", down, {"pull", hash});
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_EQ(pull.out, "pull: fetched=0 already_present=0 missing=0 corrupt=0 bytes=0 failed=1\n");
  EXPECT_NE(pull.err.find("cas: pull: GET " + down + "/cas/" + hash), std::string::npos)
      << pull.err;
}

TEST_F(CasCliRemoteTest, UsageErrorsExitTwoAndRequestNothing) {
  const std::string root = (dir_ / "a").string();
  const std::string hash = hash_bytes("x", HashAlgorithm::sha256);
  EXPECT_EQ(test::run({kCas, "--root", root, "push"}).exit_code, 2);
  EXPECT_EQ(test::run({kCas, "--root", root, "pull", hash}).exit_code, 2);
  EXPECT_EQ(test::run({kCas, "--root", root, "--remote-ca", "x.pem", "path", hash}).exit_code, 2);
  RunResult bad_url = cas("a", "ftp://dave:s3cret@host/", {"push"});
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.err.find("cas: --remote: remote URL ftp://host/"), std::string::npos)
      << bad_url.err;
  EXPECT_EQ(bad_url.err.find("s3cret"), std::string::npos);
  EXPECT_EQ(cas("a", url(), {"pull"}).exit_code, 2);
  EXPECT_EQ(cas("a", url(), {"pull", hash, "../../etc/passwd"}).exit_code, 2);
  EXPECT_EQ(cas("a", url(), {"pull", hash.substr(0, 32)}).exit_code, 2);
  EXPECT_EQ(cas("a", url(), {"path", "../x"}).exit_code, 2);
  fs::create_directories(dir_ / "a");
  EXPECT_EQ(cas("a", url(), {"push", "-j", "1025"}).exit_code, 2);
  EXPECT_EQ(cas("a", url(), {"pull", "--jobs", "-1", hash}).exit_code, 2);
  EXPECT_EQ(nginx_->access_log(), "");
}

TEST(CasCliRemoteTlsTest, HttpsWorksWithRemoteCaAndFailsClearlyWithout) {
  if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
  CAS_SKIP_WITHOUT_NGINX();
  if (!test::have_openssl()) GTEST_SKIP() << "no openssl command to make a test certificate";
  test::NginxServer nginx(/*tls=*/true);
  TempDir dir;
  write_file(dir / "f", "secure");
  const std::string hash = hash_bytes("secure", HashAlgorithm::sha256);
  RunResult refused = test::run(
      {kCas, "--root", (dir / "a").string(), "--remote", nginx.url(), "put", (dir / "f").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cas: remote: PUT " + nginx.url()), std::string::npos);
  EXPECT_NE(refused.err.find("certificate"), std::string::npos) << refused.err;
  RunResult put =
      test::run({kCas, "--root", (dir / "b").string(), "--remote", nginx.url(), "--remote-ca",
                 nginx.cert_file().string(), "put", (dir / "f").string()});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(read_file(nginx.data_dir() / "cas" / hash), "secure");
}

}  // namespace
}  // namespace cas
