// cas::HttpRemote against a real nginx on loopback (tests/nginx_server.hpp), and against sockets
// that misbehave on purpose: each outcome of HEAD/GET/PUT, the bulk forms, TLS, credentials.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::fetch_to_file;
using test::NginxServer;
using test::read_file;
using test::TempDir;
using test::write_file;

HttpRemoteOptions quick_options() {
  HttpRemoteOptions o;
  o.connect_timeout_ms = 2000;
  o.low_speed_time_s = 1;
  return o;
}

TEST(HttpRemoteTest, UploadThenContainsAndFetchRoundTripForEveryAlgorithm) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  HttpRemote remote(nginx.url());
  for (HashAlgorithm a : {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
    const std::string content = "content for " + std::string(to_string(a));
    const std::string hash = hash_bytes(content, a);
    write_file(tmp / "src", content);
    EXPECT_EQ(remote.contains(hash).status, RemoteStatus::absent);
    RemoteResult up = remote.upload(hash, tmp / "src");
    EXPECT_EQ(up.status, RemoteStatus::present) << up.error;
    EXPECT_EQ(up.bytes, content.size());
    EXPECT_EQ(read_file(nginx.data_dir() / "cas" / hash), content);
    EXPECT_EQ(remote.contains(hash).status, RemoteStatus::present);
    std::string body;
    RemoteResult got = fetch_to_file(remote, hash, tmp / "out", &body);
    EXPECT_EQ(got.status, RemoteStatus::present) << got.error;
    EXPECT_EQ(got.bytes, content.size());
    EXPECT_EQ(body, content);
  }
}

TEST(HttpRemoteTest, AbsentObjectIsAbsentNotAnError) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  HttpRemote remote(nginx.url() + "/");  // a trailing slash is dropped
  const std::string hash = hash_bytes("nowhere", HashAlgorithm::sha256);
  RemoteResult r = fetch_to_file(remote, hash, tmp / "out");
  EXPECT_EQ(r.status, RemoteStatus::absent);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(read_file(tmp / "out"), "");  // the 404 page is not written
  EXPECT_TRUE(nginx.logged("GET /cas/" + hash));
}

TEST(HttpRemoteTest, BodyWithWrongContentIsCorruptAndNamesTheUrl) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  const std::string hash = hash_bytes("the real content", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / hash, "something else");
  HttpRemote remote(nginx.url());
  RemoteResult r = fetch_to_file(remote, hash, tmp / "out");
  EXPECT_EQ(r.status, RemoteStatus::corrupt);
  EXPECT_NE(r.error.find(nginx.url() + "/cas/" + hash), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(hash_bytes("something else", HashAlgorithm::sha256)), std::string::npos);
}

TEST(HttpRemoteTest, ServerErrorIsAFailureNamingTheStatus) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  HttpRemote remote(nginx.url() + "/fail");
  const std::string hash = hash_bytes("x", HashAlgorithm::sha1);
  write_file(tmp / "src", "x");
  for (RemoteResult r : {remote.contains(hash), fetch_to_file(remote, hash, tmp / "out"),
                         remote.upload(hash, tmp / "src")}) {
    EXPECT_EQ(r.status, RemoteStatus::failed);
    EXPECT_NE(r.error.find("/fail/cas/" + hash + ": HTTP 500"), std::string::npos) << r.error;
  }
  EXPECT_EQ(read_file(tmp / "out"), "");
}

TEST(HttpRemoteTest, RefusedUploadsFailWith403And405) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  const std::string hash = hash_bytes("refused", HashAlgorithm::sha256);
  write_file(tmp / "src", "refused");
  RemoteResult forbidden = HttpRemote(nginx.url() + "/ro").upload(hash, tmp / "src");
  EXPECT_EQ(forbidden.status, RemoteStatus::failed);
  EXPECT_NE(forbidden.error.find("PUT "), std::string::npos);
  EXPECT_NE(forbidden.error.find("HTTP 403"), std::string::npos) << forbidden.error;
  RemoteResult not_allowed = HttpRemote(nginx.url() + "/nodav").upload(hash, tmp / "src");
  EXPECT_EQ(not_allowed.status, RemoteStatus::failed);
  EXPECT_NE(not_allowed.error.find("HTTP 405"), std::string::npos) << not_allowed.error;
  EXPECT_FALSE(fs::exists(nginx.data_dir() / "cas" / hash));
}

TEST(HttpRemoteTest, ServerDownIsAFailureNamingTheUrl) {
  TempDir tmp;
  const std::string url = "http://127.0.0.1:" + std::to_string(test::unused_port());
  HttpRemote remote(url, quick_options());
  RemoteResult r = fetch_to_file(remote, hash_bytes("x", HashAlgorithm::sha256), tmp / "out");
  EXPECT_EQ(r.status, RemoteStatus::failed);
  EXPECT_NE(r.error.find("GET " + url + "/cas/"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("onnect"), std::string::npos) << r.error;  // "Couldn't connect"
}

TEST(HttpRemoteTest, ServerThatNeverAnswersFailsWithinTheLowSpeedTime) {
  test::SilentListener silent;
  TempDir tmp;
  HttpRemote remote("http://127.0.0.1:" + std::to_string(silent.port()), quick_options());
  auto start = std::chrono::steady_clock::now();
  RemoteResult r = fetch_to_file(remote, hash_bytes("x", HashAlgorithm::sha256), tmp / "out");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, RemoteStatus::failed);
  EXPECT_NE(r.error.find("imeout"), std::string::npos) << r.error;  // "Timeout was reached"
  // Configured: 1 s below 1 byte/s. Generous slack for a loaded machine, far below the default.
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(HttpRemoteTest, TruncatedBodyIsAFailureAndNotContent) {
  const std::string content = "0123456789";
  test::RawHttpServer server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + content);
  TempDir tmp;
  HttpRemote remote("http://127.0.0.1:" + std::to_string(server.port()), quick_options());
  RemoteResult r = fetch_to_file(remote, hash_bytes(content, HashAlgorithm::sha256), tmp / "out");
  EXPECT_EQ(r.status, RemoteStatus::failed);
  EXPECT_NE(r.error.find("GET http://127.0.0.1:"), std::string::npos) << r.error;
}

TEST(HttpRemoteTest, HostileHashesThrowBeforeAnyRequest) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  write_file(tmp / "src", "x");
  HttpRemote remote(nginx.url());
  const std::string sha = hash_bytes("x", HashAlgorithm::sha256);
  for (const std::string& bad :
       {std::string("../../etc/passwd"), std::string("ab/cd"), sha.substr(0, 63) + "/",
        std::string(sha).replace(0, 1, "A"), std::string("ab"), sha + "0", std::string(""),
        sha.substr(0, 32) + std::string(1, '\0') + sha.substr(33), sha.substr(0, 63) + "?",
        std::string(200, 'a')}) {
    EXPECT_THROW(remote.contains(bad), InvalidHashError);
    EXPECT_THROW(remote.fetch(bad, -1), InvalidHashError);
    EXPECT_THROW(remote.upload(bad, tmp / "src"), InvalidHashError);
    EXPECT_THROW(remote.contains_many({sha, bad}), InvalidHashError);
  }
  // Not one request, not even for the valid first hash: the log holds only this last one.
  EXPECT_EQ(remote.contains(sha).status, RemoteStatus::absent);
  ASSERT_TRUE(nginx.logged("HEAD /cas/" + sha));
  EXPECT_EQ(test::lines_of(nginx.access_log()).size(), 1u) << nginx.access_log();
}

TEST(HttpRemoteTest, BadBaseUrlsAreRejectedWithoutTheirCredentials) {
  for (const std::string& url :
       {std::string("ftp://user:hunter22@host/x"), std::string("user:hunter22@host"),
        std::string("http://user:hunter22@/x"), std::string("http://user:hunter22@host/?q=1")}) {
    try {
      HttpRemote remote(url);
      ADD_FAILURE() << "accepted " << redact_url(url);
    } catch (const InvalidArgumentError& e) {
      EXPECT_EQ(std::string(e.what()).find("hunter22"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("remote URL"), std::string::npos) << e.what();
    }
  }
}

TEST(HttpRemoteTest, CredentialsNeverAppearInMessages) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  write_file(tmp / "src", "x");
  const std::string hash = hash_bytes("x", HashAlgorithm::sha256);
  HttpRemoteOptions o = quick_options();
  o.header = "Authorization: Bearer tok3n-s3cret";
  const std::string down = "http://127.0.0.1:" + std::to_string(test::unused_port());
  const std::string with_userinfo = "http://alice:pa55w0rd-s3cret@127.0.0.1:";
  for (const std::string& base :
       {with_userinfo + std::to_string(nginx.port()) + "/fail",
        "http://alice:pa55w0rd-s3cret@127.0.0.1:" + down.substr(down.rfind(':') + 1),
        with_userinfo + std::to_string(nginx.port()) + "/ro"}) {
    HttpRemote remote(base, o);
    EXPECT_EQ(remote.display_url().find("s3cret"), std::string::npos);
    for (RemoteResult r : {remote.contains(hash), fetch_to_file(remote, hash, tmp / "out"),
                           remote.upload(hash, tmp / "src")}) {
      EXPECT_NE(r.status, RemoteStatus::present);
      if (r.status == RemoteStatus::absent) continue;
      EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
      EXPECT_EQ(r.error.find("s3cret"), std::string::npos) << r.error;
      EXPECT_EQ(r.error.find("alice"), std::string::npos) << r.error;
    }
  }
}

TEST(HttpRemoteTest, BulkFormsKeepInputOrderWithManyInFlight) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  HttpRemoteOptions o;
  o.max_in_flight = 8;
  HttpRemote remote(nginx.url(), o);
  std::vector<std::string> hashes;
  std::vector<fs::path> paths;
  for (int i = 0; i < 100; ++i) {
    std::string content = "object " + std::to_string(i);
    hashes.push_back(hash_bytes(content, HashAlgorithm::sha256));
    paths.push_back(tmp / ("src" + std::to_string(i)));
    write_file(paths.back(), content);
  }
  std::vector<std::string> half(hashes.begin(), hashes.begin() + 50);
  std::vector<fs::path> half_paths(paths.begin(), paths.begin() + 50);
  for (const RemoteResult& r : remote.upload_many(half, half_paths)) {
    EXPECT_EQ(r.status, RemoteStatus::present) << r.error;
  }
  std::vector<RemoteResult> seen = remote.contains_many(hashes);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(seen[i].status, i < 50 ? RemoteStatus::present : RemoteStatus::absent) << i;
  }
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) {
    fds.push_back(::open((tmp / ("out" + std::to_string(i))).c_str(),
                         O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  }
  std::vector<RemoteResult> got = remote.fetch_many(hashes, fds);
  for (int fd : fds) ::close(fd);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(got[i].status, i < 50 ? RemoteStatus::present : RemoteStatus::absent) << i;
    EXPECT_EQ(read_file(tmp / ("out" + std::to_string(i))),
              i < 50 ? "object " + std::to_string(i) : "");
  }
}

TEST(HttpRemoteTest, HttpsWorksWithTheCaFileAndFailsClearlyWithout) {
  CAS_SKIP_WITHOUT_NGINX();
  if (!test::have_openssl()) GTEST_SKIP() << "no openssl command to make a test certificate";
  NginxServer nginx(/*tls=*/true);
  TempDir tmp;
  const std::string content = "over tls";
  const std::string hash = hash_bytes(content, HashAlgorithm::sha512);
  write_file(tmp / "src", content);

  HttpRemote untrusted(nginx.url(), quick_options());
  RemoteResult refused = untrusted.upload(hash, tmp / "src");
  EXPECT_EQ(refused.status, RemoteStatus::failed);
  EXPECT_NE(refused.error.find("certificate"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find(nginx.url()), std::string::npos) << refused.error;

  HttpRemoteOptions o = quick_options();
  o.ca_file = nginx.cert_file();
  HttpRemote trusted(nginx.url(), o);
  RemoteResult up = trusted.upload(hash, tmp / "src");
  EXPECT_EQ(up.status, RemoteStatus::present) << up.error;
  std::string body;
  EXPECT_EQ(fetch_to_file(trusted, hash, tmp / "out", &body).status, RemoteStatus::present);
  EXPECT_EQ(body, content);
  // nginx offers HTTP/2 over TLS, and libcurl takes it.
  EXPECT_TRUE(nginx.logged("HTTP/2.0")) << nginx.access_log();
}

// A body that does not hash to its name is reported with the URL it came from, as every other
// failure is: without the credentials the base URL carries.
TEST(HttpRemoteTest, ACorruptBodyIsReportedWithoutTheCredentialsOfTheBaseUrl) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  const std::string hash = hash_bytes("the real content", HashAlgorithm::sha256);
  const std::string actual = hash_bytes("something else", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / hash, "something else");
  const std::string good = hash_bytes("good", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / good, "good");
  HttpRemote remote("http://alice:pa55w0rd-s3cret@127.0.0.1:" + std::to_string(nginx.port()),
                    quick_options());
  const std::string expected = "GET " + nginx.url() + "/cas/" + hash + ": body hashes to " + actual;
  RemoteResult r = fetch_to_file(remote, hash, tmp / "out");
  EXPECT_EQ(r.status, RemoteStatus::corrupt);
  EXPECT_EQ(r.error, expected);
  // The bulk form, the corrupt body among good ones.
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {
    fds.push_back(::open((tmp / ("out" + std::to_string(i))).c_str(),
                         O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  }
  std::vector<RemoteResult> got = remote.fetch_many({good, hash, good}, fds);
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status, RemoteStatus::present) << got[0].error;
  EXPECT_EQ(got[1].status, RemoteStatus::corrupt);
  EXPECT_EQ(got[1].error, expected);
  for (const RemoteResult& g : got) {
    EXPECT_EQ(g.error.find("s3cret"), std::string::npos) << g.error;
    EXPECT_EQ(g.error.find("alice"), std::string::npos) << g.error;
  }
}

}  // namespace
}  // namespace cas
