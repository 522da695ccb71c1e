// The `cas` tool with an S3 remote (--remote s3://BUCKET[/PREFIX], CAS_REMOTE, the AWS_*
// variables), run as a separate process against the test binary's one Swift
// (tests/swift_server.hpp): write through, read through, push, pull, and the failures a user
// meets first (a wrong secret, a missing bucket, no credentials), none of which prints a secret.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "swift_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;
using test::SwiftServer;
using test::TempDir;
using test::write_file;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

constexpr const char* kWrongSecret = "cli-wrong-secret-91bc";

class CasCliS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    std::string why;
    swift_ = test::shared_swift(&why);
    if (!swift_) GTEST_SKIP() << "no S3 server (OpenStack Swift) for this test: " << why;
    bucket_ = swift_->new_bucket();
  }

  // Runs `cas --root <dir_/root> ARGS...` with the AWS variables set for the Swift (and nothing
  // else of the caller's AWS environment).
  RunResult cas(const std::string& root, std::vector<std::string> args,
                const std::string& secret = SwiftServer::kSecret,
                std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {"env"};
    for (const char* name : {"AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
                             "AWS_ENDPOINT_URL_S3", "CAS_REMOTE", "CAS_REMOTE_HEADER"}) {
      argv.insert(argv.end(), {"-u", name});
    }
    argv.push_back(std::string("AWS_ACCESS_KEY_ID=") + SwiftServer::kAccessKey);
    argv.push_back("AWS_SECRET_ACCESS_KEY=" + secret);
    argv.push_back("AWS_ENDPOINT_URL=" + swift_->endpoint());
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {kCas, "--root", (dir_ / root).string()});
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv);
  }
  std::string url(const std::string& prefix = "") const {
    return "s3://" + bucket_ + (prefix.empty() ? "" : "/" + prefix);
  }

  TempDir dir_;
  SwiftServer* swift_ = nullptr;
  std::string bucket_;
};

TEST_F(CasCliS3Test, PutWritesThroughPushAndPullMoveTheRestAndCatReadsThrough) {
  write_file(dir_ / "f", "through s3");
  const std::string hash = hash_bytes("through s3", HashAlgorithm::sha256);
  RunResult put = cas("a", {"--remote", url("ci"), "put", (dir_ / "f").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  RunResult cat = cas("b", {"--remote", url("ci"), "cat", hash});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "through s3");
  // Three more files put without the remote, then pushed: only they are uploaded.
  for (int i = 0; i < 3; ++i) {
    write_file(dir_ / "g", "local " + std::to_string(i));
    ASSERT_EQ(cas("a", {"put", (dir_ / "g").string()}).exit_code, 0);
  }
  RunResult push = cas("a", {"push", "-j", "4"}, SwiftServer::kSecret, {"CAS_REMOTE=" + url("ci")});
  EXPECT_EQ(push.exit_code, 0) << push.err;
  EXPECT_NE(push.out.find("push: checked=4 uploaded=3 already_present=1"), std::string::npos)
      << push.out;
  const std::string local0 = hash_bytes("local 0", HashAlgorithm::sha256);
  RunResult pull = cas("c", {"--remote", url("ci"), "pull", hash, local0});
  EXPECT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_NE(pull.out.find("pull: fetched=2 already_present=0 missing=0"), std::string::npos)
      << pull.out;
  EXPECT_EQ(test::read_file(fs::path(test::lines_of(cas("c", {"path", local0}).out).at(0))),
            "local 0");
}

TEST_F(CasCliS3Test, WrongSecretFailsClearlyAndNeverPrintsTheSecret) {
  write_file(dir_ / "f", "kept local");
  const std::string hash = hash_bytes("kept local", HashAlgorithm::sha256);
  RunResult put = cas("a", {"--remote", url(), "put", (dir_ / "f").string()}, kWrongSecret);
  EXPECT_EQ(put.exit_code, 1);  // the local write is done, the upload was refused
  EXPECT_NE(put.err.find("cas: remote: PUT " + swift_->endpoint() + "/" + bucket_ + "/cas/" + hash +
                         ": HTTP 403 SignatureDoesNotMatch: the server refused the "
                         "signature"),
            std::string::npos)
      << put.err;
  RunResult cat = cas("b", {"--remote", url(), "cat", hash}, kWrongSecret);
  EXPECT_EQ(cat.exit_code, 1);
  EXPECT_NE(cat.err.find("HTTP 403"), std::string::npos) << cat.err;
  RunResult push = cas("a", {"--remote", url(), "push"}, kWrongSecret);
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_NE(push.out.find("uploaded=0"), std::string::npos) << push.out;
  RunResult help = cas("a", {"--remote", url(), "--help"}, kWrongSecret);
  EXPECT_EQ(help.exit_code, 0);
  for (const RunResult& r : {put, cat, push, help}) {
    EXPECT_EQ((r.out + r.err).find(kWrongSecret), std::string::npos) << r.out << r.err;
  }
}

TEST_F(CasCliS3Test, MissingBucketAndMissingCredentialsAreClearErrors) {
  write_file(dir_ / "f", "nowhere to go");
  RunResult put = cas("a", {"--remote", "s3://cas-no-such-bucket", "put", (dir_ / "f").string()});
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_NE(put.err.find("HTTP 404 NoSuchBucket: the bucket does not exist"), std::string::npos)
      << put.err;
  RunResult push = cas("a", {"--remote", "s3://cas-no-such-bucket", "push"});
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_NE(push.out.find("uploaded=0"), std::string::npos) << push.out;
  EXPECT_NE(push.err.find("NoSuchBucket"), std::string::npos) << push.err;
  // No credentials: a usage error before any request.
  RunResult bare = test::run({"env", "-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY", kCas,
                              "--root", (dir_ / "a").string(), "--remote", url(), "push"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos)
      << bare.err;
}

}  // namespace
}  // namespace cas
