// cas::S3Remote against a real S3 server on loopback — OpenStack Swift's s3api, one server for
// the whole process (tests/swift_server.hpp) and a bucket per test: round trips, push and pull,
// a Store reading and writing through, prefixes, what a wrong secret and a missing bucket look
// like (and that the secret never shows), hostile hashes, the session token. The tests that
// need no server (options, URLs) run without Swift too.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/s3_remote.hpp"
#include "cas/store.hpp"
#include "nginx_server.hpp"
#include "swift_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::fetch_to_file;
using test::read_file;
using test::SwiftServer;
using test::TempDir;
using test::write_file;

constexpr const char* kWrongSecret = "not-the-secret-7f3a";

S3RemoteOptions options_for(const SwiftServer& swift, const std::string& bucket,
                            const std::string& prefix = "") {
  S3RemoteOptions o;
  o.bucket = bucket;
  o.prefix = prefix;
  o.endpoint = swift.endpoint();
  o.region = SwiftServer::kRegion;
  o.access_key_id = SwiftServer::kAccessKey;
  o.secret_access_key = SwiftServer::kSecret;
  o.http.connect_timeout_ms = 2000;
  o.http.low_speed_time_s = 5;
  o.http.max_in_flight = 8;
  return o;
}

// GET url signed by the curl command (not by cas): what the server holds at exactly that key.
test::RunResult curl_get(const TempDir& tmp, const std::string& url) {
  write_file(tmp / "netrc", std::string("machine 127.0.0.1 login ") + SwiftServer::kAccessKey +
                                " password " + SwiftServer::kSecret + "\n");
  return test::run({"curl", "-sS", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--netrc-file",
                    (tmp / "netrc").string(), "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url});
}

void expect_no_secret(const std::string& text) {
  EXPECT_EQ(text.find(kWrongSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(SwiftServer::kSecret), std::string::npos) << text;
}

TEST(S3RemoteTest, UploadThenContainsAndFetchRoundTripForEveryAlgorithm) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  S3Remote remote(options_for(*swift, swift->new_bucket()));
  for (HashAlgorithm a : {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
    const std::string content = "s3 content for " + std::string(to_string(a));
    const std::string hash = hash_bytes(content, a);
    write_file(tmp / "src", content);
    RemoteResult before = remote.contains(hash);
    EXPECT_EQ(before.status, RemoteStatus::absent) << before.error;
    RemoteResult up = remote.upload(hash, tmp / "src");
    ASSERT_EQ(up.status, RemoteStatus::present) << up.error;
    EXPECT_EQ(up.bytes, content.size());
    EXPECT_EQ(remote.contains(hash).status, RemoteStatus::present);
    std::string body;
    RemoteResult got = fetch_to_file(remote, hash, tmp / "out", &body);
    EXPECT_EQ(got.status, RemoteStatus::present) << got.error;
    EXPECT_EQ(body, content);
  }
}

TEST(S3RemoteTest, ObjectsLiveAtBucketPrefixCasHashAndPrefixesKeepThemApart) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  const std::string bucket = swift->new_bucket();
  S3Remote team_a(options_for(*swift, bucket, "/team/a/"));  // outer slashes are dropped
  S3Remote top(options_for(*swift, bucket));
  EXPECT_EQ(team_a.display_url(), swift->endpoint() + "/" + bucket + "/team/a");
  const std::string hash = hash_bytes("prefixed", HashAlgorithm::sha256);
  write_file(tmp / "src", "prefixed");
  ASSERT_EQ(team_a.upload(hash, tmp / "src").status, RemoteStatus::present);
  EXPECT_EQ(curl_get(tmp, swift->endpoint() + "/" + bucket + "/team/a/cas/" + hash).out,
            "prefixed");
  EXPECT_EQ(top.contains(hash).status, RemoteStatus::absent);
  EXPECT_EQ(team_a.contains(hash).status, RemoteStatus::present);
}

TEST(S3RemoteTest, PushThenPullIntoAnotherStoreWithManyInFlight) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  S3Remote remote(options_for(*swift, swift->new_bucket(), "ci"));
  Store a(tmp / "a");
  std::vector<std::string> hashes;
  for (int i = 0; i < 40; ++i) {
    write_file(tmp / "src", "pushed over s3 " + std::to_string(i));
    hashes.push_back(a.put(tmp / "src"));
  }
  PushResult pushed = push(a, remote);
  EXPECT_EQ(pushed.uploaded, 40u);
  EXPECT_EQ(pushed.failed, 0u) << (pushed.errors.empty() ? "" : pushed.errors.front());
  EXPECT_EQ(push(a, remote).already_present, 40u);
  Store b(tmp / "b");
  hashes.push_back(hash_bytes("never pushed", HashAlgorithm::sha256));
  PullResult pulled = pull(b, remote, hashes);
  EXPECT_EQ(pulled.fetched, 40u);
  EXPECT_EQ(pulled.missing, 1u);
  for (int i = 0; i < 40; ++i) {
    auto path = b.lookup_local(hashes[i]);
    ASSERT_TRUE(path) << hashes[i];
    EXPECT_EQ(read_file(*path), "pushed over s3 " + std::to_string(i));
  }
}

TEST(S3RemoteTest, StoreWritesThroughOnPutAndReadsThroughOnLookup) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  auto remote = std::make_shared<S3Remote>(options_for(*swift, swift->new_bucket()));
  StoreOptions options;
  options.remote = remote;
  Store a(tmp / "a", options);
  write_file(tmp / "src", "written through");
  const std::string hash = a.put(tmp / "src");
  EXPECT_EQ(a.remote_stats().uploaded, 1u) << a.remote_stats().last_error;
  EXPECT_EQ(remote->contains(hash).status, RemoteStatus::present);
  Store b(tmp / "b", options);
  auto path = b.lookup(hash);
  ASSERT_TRUE(path) << b.remote_stats().last_error;
  EXPECT_EQ(read_file(*path), "written through");
  EXPECT_EQ(b.remote_stats().fetched, 1u);
}

TEST(S3RemoteTest, WrongSecretFailsSayingTheSignatureWasRefusedPublishesNothingAndHidesIt) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  const std::string bucket = swift->new_bucket();
  S3RemoteOptions o = options_for(*swift, bucket);
  o.secret_access_key = kWrongSecret;
  S3Remote remote(o);
  const std::string hash = hash_bytes("guarded", HashAlgorithm::sha256);
  write_file(tmp / "src", "guarded");
  const std::string url = swift->endpoint() + "/" + bucket + "/cas/" + hash;
  RemoteResult head = remote.contains(hash);
  RemoteResult get = fetch_to_file(remote, hash, tmp / "out");
  RemoteResult put = remote.upload(hash, tmp / "src");
  for (const RemoteResult& r : {head, get, put}) {
    EXPECT_EQ(r.status, RemoteStatus::failed) << r.error;
    EXPECT_NE(r.error.find(url + ": HTTP 403"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("refused the signature"), std::string::npos) << r.error;
    expect_no_secret(r.error);
  }
  EXPECT_NE(get.error.find("SignatureDoesNotMatch"), std::string::npos) << get.error;
  EXPECT_EQ(read_file(tmp / "out"), "");  // the error XML is not content
  // Nothing reached the bucket, and a pull publishes nothing.
  EXPECT_EQ(S3Remote(options_for(*swift, bucket)).contains(hash).status, RemoteStatus::absent);
  Store store(tmp / "store");
  PullResult pulled = pull(store, remote, {hash});
  EXPECT_EQ(pulled.fetched, 0u);
  EXPECT_EQ(pulled.failed, 1u);
  EXPECT_FALSE(store.lookup_local(hash));
  for (const std::string& e : pulled.errors) expect_no_secret(e);
}

TEST(S3RemoteTest, MissingBucketIsAFailureNotAnAbsentObject) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  S3Remote remote(options_for(*swift, "cas-no-such-bucket"));
  const std::string hash = hash_bytes("homeless", HashAlgorithm::sha256);
  write_file(tmp / "src", "homeless");
  RemoteResult get = fetch_to_file(remote, hash, tmp / "out");
  RemoteResult put = remote.upload(hash, tmp / "src");
  for (const RemoteResult& r : {get, put}) {
    EXPECT_EQ(r.status, RemoteStatus::failed) << r.error;
    EXPECT_NE(r.error.find("/cas-no-such-bucket/cas/" + hash +
                           ": HTTP 404 NoSuchBucket: the "
                           "bucket does not exist"),
              std::string::npos)
        << r.error;
  }
  // A HEAD has no body to tell a missing bucket from a missing object; the push's PUT does.
  Store store(tmp / "store");
  store.put(tmp / "src");
  PushResult pushed = push(store, remote);
  EXPECT_EQ(pushed.uploaded, 0u);
  EXPECT_EQ(pushed.failed, 1u);
  ASSERT_FALSE(pushed.errors.empty());
  EXPECT_NE(pushed.errors.front().find("NoSuchBucket"), std::string::npos);
  // Read through: a failure reported, not a quiet miss.
  StoreOptions options;
  options.remote = std::make_shared<S3Remote>(options_for(*swift, "cas-no-such-bucket"));
  Store reader(tmp / "reader", options);
  EXPECT_FALSE(reader.lookup(hash_bytes("elsewhere", HashAlgorithm::sha256)));
  EXPECT_EQ(reader.remote_stats().fetch_errors, 1u);
  EXPECT_EQ(reader.remote_stats().misses, 0u);
  EXPECT_NE(reader.remote_stats().last_error.find("NoSuchBucket"), std::string::npos);
}

TEST(S3RemoteTest, HostileHashThrowsBeforeAnyRequest) {
  CAS_SWIFT_OR_SKIP(swift);
  TempDir tmp;
  S3Remote remote(options_for(*swift, swift->new_bucket()));
  write_file(tmp / "src", "x");
  const std::string good = hash_bytes("x", HashAlgorithm::sha256);
  const std::vector<std::string> evils = {"../../evil/" + good.substr(10), good.substr(0, 63) + "?",
                                          "EVILHASH"};
  for (const std::string& evil : evils) {
    EXPECT_THROW(remote.contains(evil), InvalidHashError);
    EXPECT_THROW(remote.upload(evil, tmp / "src"), InvalidHashError);
    EXPECT_THROW(fetch_to_file(remote, evil, tmp / "out"), InvalidHashError);
    // The bulk forms check every hash before the first request: the good one is not asked.
    EXPECT_THROW(remote.contains_many({good, evil}), InvalidHashError);
  }
  EXPECT_TRUE(remote.contains(good).error.empty());  // a request that is logged, as a marker
  EXPECT_TRUE(swift->logged(good));
  EXPECT_EQ(swift->log().find("evil"), std::string::npos);
  EXPECT_EQ(swift->log().find("EVILHASH"), std::string::npos);
}

// Swift's tempauth ignores session tokens, so this shows what cas controls: the token arrives
// as x-amz-security-token (the proxy's access log records that header) on a request the server
// accepted, and it is signed with the rest (a tampered signed header would be refused).
TEST(S3RemoteTest, SessionTokenIsSentAsXAmzSecurityToken) {
  CAS_SWIFT_OR_SKIP(swift);
  S3RemoteOptions o = options_for(*swift, swift->new_bucket());
  o.session_token = "cas-token-4d2e";
  S3Remote remote(o);
  RemoteResult r = remote.contains(hash_bytes("token", HashAlgorithm::sha256));
  EXPECT_EQ(r.status, RemoteStatus::absent) << r.error;
  EXPECT_TRUE(swift->logged("cas-token-4d2e")) << swift->log();
}

TEST(S3RemoteTest, ConstructorRefusesWhatCannotGoIntoAUrlOrHeaderAndNeverPrintsTheSecret) {
  S3RemoteOptions good;
  good.bucket = "my-bucket";
  good.endpoint = "http://127.0.0.1:9";
  good.access_key_id = "key";
  good.secret_access_key = kWrongSecret;
  auto refused = [&](auto change) {
    S3RemoteOptions o = good;
    change(o);
    try {
      S3Remote remote(o);
    } catch (const InvalidArgumentError& e) {
      expect_no_secret(e.what());
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused([](auto& o) { o.bucket = "Upper_Case"; }).find("bucket"), std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.bucket = "ab"; }).find("bucket"), std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.prefix = "a/../b"; }).find("prefix"), std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.prefix = "a b?c"; }).find("prefix"), std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.region = "us:east"; }).find("region"), std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.access_key_id = ""; }).find("AWS_ACCESS_KEY_ID"),
            std::string::npos);
  EXPECT_NE(refused([](auto& o) {
              o.secret_access_key += "\r\nX-Evil: 1";
            }).find("AWS_SECRET_ACCESS_KEY holds a line break"),
            std::string::npos);
  EXPECT_NE(refused([](auto& o) { o.endpoint = "ftp://host"; }).find("S3 endpoint"),
            std::string::npos);
  EXPECT_NE(refused([](auto& o) {
              o.endpoint = "http://u:" + std::string(kWrongSecret) + "@h";
            }).find("not the URL"),
            std::string::npos);
  EXPECT_EQ(refused([](auto&) {}), "accepted");
}

TEST(S3RemoteTest, AddressesAwsByVirtualHostAndCustomEndpointsByPath) {
  S3RemoteOptions o;
  o.bucket = "my-bucket";
  o.prefix = "builds";
  o.region = "eu-west-1";
  o.access_key_id = "key";
  o.secret_access_key = kWrongSecret;
  EXPECT_EQ(S3Remote(o).display_url(), "https://my-bucket.s3.eu-west-1.amazonaws.com/builds");
  o.bucket = "my.dotted.bucket";  // a wildcard certificate does not cover the dots
  EXPECT_EQ(S3Remote(o).display_url(),
            "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/builds");
  o.endpoint = "http://minio.internal:9000/";
  EXPECT_EQ(S3Remote(o).display_url(), "http://minio.internal:9000/my.dotted.bucket/builds");
}

// Sets the AWS variables for one test and restores what was there.
class AwsEnvironment {
 public:
  AwsEnvironment() {
    for (const char* name : kNames) {
      const char* value = ::getenv(name);
      if (value) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
  }
  ~AwsEnvironment() {
    for (const char* name : kNames) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  static constexpr const char* kNames[] = {
      "AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",  "AWS_REGION",
      "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",      "AWS_ENDPOINT_URL_S3"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST(S3RemoteTest, OptionsComeFromTheUrlAndTheAwsVariables) {
  AwsEnvironment env;
  try {
    s3_options_from_environment("s3://bucket/p");
    ADD_FAILURE() << "no credentials, yet accepted";
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  }
  env.set("AWS_ACCESS_KEY_ID", "test:tester");
  env.set("AWS_SECRET_ACCESS_KEY", kWrongSecret);
  env.set("AWS_DEFAULT_REGION", "eu-north-1");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
  S3RemoteOptions o = s3_options_from_environment("s3://bucket/some/prefix");
  EXPECT_EQ(o.bucket, "bucket");
  EXPECT_EQ(o.prefix, "some/prefix");
  EXPECT_EQ(o.access_key_id, "test:tester");
  EXPECT_EQ(o.secret_access_key, kWrongSecret);
  EXPECT_EQ(o.region, "eu-north-1");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:9");
  env.set("AWS_REGION", "ap-south-2");  // AWS_REGION wins over AWS_DEFAULT_REGION
  env.set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:10");
  o = s3_options_from_environment("s3://bucket");
  EXPECT_EQ(o.region, "ap-south-2");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:10");
  EXPECT_EQ(o.prefix, "");
  for (const std::string& url :
       {"s3://key:" + std::string(kWrongSecret) + "@bucket/p", std::string("s3://bucket/p?x=1")}) {
    try {
      s3_options_from_environment(url);
      ADD_FAILURE() << url << " accepted";
    } catch (const InvalidArgumentError& e) {
      expect_no_secret(e.what());
    }
  }
  auto remote = open_remote("s3://bucket/p");
  ASSERT_NE(dynamic_cast<S3Remote*>(remote.get()), nullptr);
  EXPECT_EQ(dynamic_cast<S3Remote*>(remote.get())->display_url(), "http://127.0.0.1:10/bucket/p");
  EXPECT_NE(dynamic_cast<HttpRemote*>(open_remote("http://127.0.0.1:9").get()), nullptr);
  EXPECT_THROW(open_remote("ftp://127.0.0.1/x"), InvalidArgumentError);
}

}  // namespace
}  // namespace cas
