// A Store with a remote tier (StoreOptions::remote) against a real nginx on loopback: read
// through, write through, every failure a reported miss that publishes nothing, two stores on
// two roots sharing one server; and cas::push / cas::pull.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/store.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::NginxServer;
using test::read_file;
using test::TempDir;
using test::write_file;

std::shared_ptr<Remote> http(const std::string& url) {
  HttpRemoteOptions o;
  o.connect_timeout_ms = 2000;
  o.low_speed_time_s = 1;
  return std::make_shared<HttpRemote>(url, o);
}

StoreOptions with_remote(std::shared_ptr<Remote> remote, std::vector<std::string>* reported,
                         RemoteMode mode = RemoteMode::read_write) {
  StoreOptions o;
  o.remote = std::move(remote);
  o.remote_mode = mode;
  o.on_remote_error = [reported](const std::string& m) { reported->push_back(m); };
  return o;
}

// Regular files left in the store's temp area (anonymous temps leave none).
std::size_t temp_files(const Store& store) {
  const fs::path dir = store.root() / std::string(Store::kTempDirName);
  std::size_t n = 0;
  if (fs::exists(dir)) {
    for (fs::directory_iterator it(dir), end; it != end; ++it) n += fs::is_regular_file(*it);
  }
  return n;
}

TEST(StoreRemoteTest, TwoStoresOnTwoRootsShareOneServerForEveryAlgorithm) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  Store a(tmp / "a", with_remote(http(nginx.url()), &reported));
  Store b(tmp / "b", with_remote(http(nginx.url()), &reported));
  int i = 0;
  for (HashAlgorithm algo : {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
    const std::string content = "shared " + std::to_string(i++);
    write_file(tmp / "src", content);
    const std::string hash = a.put(tmp / "src", algo);  // write through
    EXPECT_EQ(read_file(nginx.data_dir() / "cas" / hash), content);
    EXPECT_FALSE(b.lookup_local(hash));
    auto in = b.open(hash);  // read through
    ASSERT_TRUE(in);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(*in), {}), content);
    EXPECT_EQ(read_file(b.preferred_path(hash)), content);
    EXPECT_EQ(hash_file(b.preferred_path(hash), algo), hash);
  }
  EXPECT_EQ(a.remote_stats().uploaded, 3u);
  EXPECT_EQ(b.remote_stats().fetched, 3u);
  EXPECT_TRUE(reported.empty());
  EXPECT_EQ(temp_files(b), 0u);
}

TEST(StoreRemoteTest, InsertAndCopyWriteThroughAndLookupReadsThrough) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  Store a(tmp / "a", with_remote(http(nginx.url()), &reported));
  const std::string one = "inserted", two = "copied";
  write_file(tmp / "one", one);
  write_file(tmp / "two", two);
  a.insert(hash_bytes(one, HashAlgorithm::sha256), tmp / "one");
  a.copy(hash_bytes(two, HashAlgorithm::sha1), tmp / "two");
  EXPECT_EQ(a.remote_stats().uploaded, 2u);
  Store b(tmp / "b", with_remote(http(nginx.url()), &reported));
  auto path = b.lookup(hash_bytes(two, HashAlgorithm::sha1));
  ASSERT_TRUE(path);
  EXPECT_EQ(read_file(*path), two);
  EXPECT_TRUE(reported.empty());
}

TEST(StoreRemoteTest, BodyWithWrongContentIsNeverPublishedAndIsReported) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  const std::string hash = hash_bytes("the real thing", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / hash, "a forgery");
  std::vector<std::string> reported;
  Store store(tmp / "s", with_remote(http(nginx.url()), &reported));
  EXPECT_FALSE(store.lookup(hash));
  EXPECT_EQ(store.open(hash), nullptr);
  EXPECT_FALSE(fs::exists(store.preferred_path(hash)));
  EXPECT_EQ(temp_files(store), 0u);
  RemoteStats stats = store.remote_stats();
  EXPECT_EQ(stats.fetch_errors, 2u);
  EXPECT_EQ(stats.fetched, 0u);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_NE(stats.last_error.find(nginx.url() + "/cas/" + hash), std::string::npos);
  EXPECT_NE(stats.last_error.find("hashes to"), std::string::npos) << stats.last_error;
}

TEST(StoreRemoteTest, AbsentOnTheRemoteIsAPlainMissNotAnError) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  Store store(tmp / "s", with_remote(http(nginx.url()), &reported));
  EXPECT_FALSE(store.lookup(hash_bytes("nobody has it", HashAlgorithm::sha256)));
  EXPECT_EQ(store.remote_stats().misses, 1u);
  EXPECT_EQ(store.remote_stats().fetch_errors, 0u);
  EXPECT_TRUE(reported.empty());
}

// Each broken server: a miss, within the configured timeouts, reported, nothing published.
TEST(StoreRemoteTest, EveryServerFailureIsAReportedMissThatPublishesNothing) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  test::SilentListener silent;
  test::RawHttpServer truncating("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\nshort");
  const std::string loopback = "http://127.0.0.1:";
  const std::vector<std::pair<std::string, std::string>> servers = {
      {loopback + std::to_string(test::unused_port()), "onnect"},
      {loopback + std::to_string(silent.port()), "imeout"},
      {nginx.url() + "/fail", "HTTP 500"},
      {loopback + std::to_string(truncating.port()), "GET " + loopback}};
  for (const auto& [url, why] : servers) {
    TempDir tmp;
    std::vector<std::string> reported;
    Store store(tmp / "s", with_remote(http(url), &reported));
    const std::string hash = hash_bytes("short", HashAlgorithm::sha256);
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(store.lookup(hash)) << url;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << url;
    EXPECT_FALSE(fs::exists(store.preferred_path(hash))) << url;
    EXPECT_EQ(temp_files(store), 0u);
    ASSERT_EQ(reported.size(), 1u) << url;
    EXPECT_NE(reported[0].find(url), std::string::npos) << reported[0];
    EXPECT_NE(reported[0].find(why), std::string::npos) << reported[0];
    EXPECT_EQ(store.remote_stats().fetch_errors, 1u);
    EXPECT_EQ(store.remote_stats().last_error, reported[0]);
  }
}

TEST(StoreRemoteTest, ALocalHitNeverAsksTheRemoteEvenWhenItIsDown) {
  TempDir tmp;
  std::vector<std::string> reported;
  StoreOptions o = with_remote(http("http://127.0.0.1:" + std::to_string(test::unused_port())),
                               &reported, RemoteMode::read_only);
  Store store(tmp / "s", o);
  write_file(tmp / "src", "local");
  const std::string hash = store.put(tmp / "src");
  EXPECT_TRUE(store.lookup(hash));
  EXPECT_TRUE(store.open(hash));
  EXPECT_TRUE(reported.empty());
  EXPECT_EQ(store.remote_stats().fetch_errors, 0u);
}

TEST(StoreRemoteTest, RefusedUploadLeavesTheLocalInsertDoneAndIsReported) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  for (const auto& [base, status] : std::vector<std::pair<std::string, std::string>>{
           {"/ro", "HTTP 403"}, {"/nodav", "HTTP 405"}}) {
    TempDir tmp;
    std::vector<std::string> reported;
    Store store(tmp / "s", with_remote(http(nginx.url() + base), &reported));
    write_file(tmp / "src", "refused " + base);
    const std::string hash = hash_bytes("refused " + base, HashAlgorithm::sha256);
    EXPECT_NO_THROW(store.insert(hash, tmp / "src"));
    EXPECT_EQ(read_file(store.preferred_path(hash)), "refused " + base);
    EXPECT_EQ(store.remote_stats().upload_errors, 1u);
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_NE(reported[0].find("PUT " + nginx.url() + base + "/cas/" + hash + ": " + status),
              std::string::npos)
        << reported[0];
    EXPECT_FALSE(fs::exists(nginx.data_dir() / "cas" / hash));
  }
}

TEST(StoreRemoteTest, ReadOnlyRemoteModeUploadsNothing) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  Store store(tmp / "s", with_remote(http(nginx.url()), &reported, RemoteMode::read_only));
  write_file(tmp / "src", "kept here");
  const std::string hash = store.put(tmp / "src");
  EXPECT_FALSE(fs::exists(nginx.data_dir() / "cas" / hash));
  EXPECT_EQ(store.remote_stats().uploaded, 0u);
  EXPECT_TRUE(reported.empty());
}

TEST(StoreRemoteTest, CredentialsNeverAppearInReportedErrors) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  const std::string url = "http://bob:hunter2-s3cret@127.0.0.1:" + std::to_string(nginx.port());
  Store store(tmp / "s", with_remote(http(url + "/fail"), &reported));
  write_file(tmp / "src", "x");
  store.put(tmp / "src");
  store.lookup(hash_bytes("y", HashAlgorithm::sha512));
  ASSERT_EQ(reported.size(), 2u);
  for (const std::string& m : reported) {
    EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
    EXPECT_EQ(m.find("bob"), std::string::npos) << m;
    EXPECT_NE(m.find("http://127.0.0.1:"), std::string::npos) << m;
  }
}

TEST(StoreRemoteTest, HostileAndUnverifiableHashesNeverReachTheServer) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  std::vector<std::string> reported;
  Store store(tmp / "s", with_remote(http(nginx.url()), &reported));
  for (std::string bad : {"../etc/passwd", "AB", "ab/cd", "", "ab\n"}) {
    EXPECT_THROW(store.lookup(bad), InvalidHashError);
    EXPECT_THROW(store.open(bad), InvalidHashError);
  }
  // Valid for the store, but no digest has 32 hex digits: it could not be verified, so it is
  // not asked for.
  EXPECT_FALSE(store.lookup(std::string(32, 'a')));
  write_file(tmp / "src", "x");
  store.insert(std::string(32, 'b'), tmp / "src");
  const std::string sha = hash_bytes("marker", HashAlgorithm::sha256);
  EXPECT_FALSE(store.lookup(sha));
  ASSERT_TRUE(nginx.logged("GET /cas/" + sha));
  EXPECT_EQ(test::lines_of(nginx.access_log()).size(), 1u) << nginx.access_log();
  EXPECT_TRUE(reported.empty());
}

TEST(StoreRemoteTest, PushUploadsWhatTheRemoteLacksAndPullFetchesIt) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  auto remote = http(nginx.url());
  Store a(tmp / "a");  // no remote of its own: push/pull take one
  std::vector<std::string> hashes;
  std::uint64_t total = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string content = "object " + std::to_string(i);
    write_file(tmp / "src", content);
    hashes.push_back(a.put(tmp / "src"));
    total += content.size();
  }
  write_file(nginx.data_dir() / "cas" / hashes[0], "object 0");  // the remote has one already
  PushOptions dry;
  dry.dry_run = true;
  PushResult would = push(a, *remote, dry);
  EXPECT_EQ(would.checked, 40u);
  EXPECT_EQ(would.uploaded, 39u);
  EXPECT_EQ(would.already_present, 1u);
  EXPECT_EQ(would.bytes, total - 8);
  EXPECT_FALSE(fs::exists(nginx.data_dir() / "cas" / hashes[1]));
  PushResult pushed = push(a, *remote);
  EXPECT_EQ(pushed.uploaded, 39u);
  EXPECT_EQ(pushed.bytes, total - 8);
  EXPECT_EQ(pushed.failed, 0u);
  EXPECT_EQ(push(a, *remote).already_present, 40u);

  Store b(tmp / "b");
  b.insert(hashes[1], (write_file(tmp / "one", "object 1"), tmp / "one"));
  const std::string missing = hash_bytes("missing", HashAlgorithm::sha256);
  const std::string forged = hash_bytes("forged", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / forged, "not forged");
  std::vector<std::string> wanted = hashes;
  wanted.push_back(missing);
  wanted.push_back(forged);
  wanted.push_back(hashes[5]);  // a repeat is asked once
  std::vector<std::string> reported;
  PullOptions po;
  po.durability = Durability::batch;
  po.on_error = [&](const std::string& m) { reported.push_back(m); };
  PullResult pulled = pull(b, *remote, wanted, po);
  EXPECT_EQ(pulled.fetched, 39u);
  EXPECT_EQ(pulled.already_present, 1u);
  EXPECT_EQ(pulled.missing, 1u);
  EXPECT_EQ(pulled.corrupt, 1u);
  EXPECT_EQ(pulled.failed, 0u);
  EXPECT_EQ(pulled.bytes, total - 8);
  EXPECT_EQ(reported.size(), 2u);
  EXPECT_FALSE(b.lookup(forged));
  for (const std::string& h : hashes) {
    ASSERT_TRUE(b.lookup(h));
    EXPECT_EQ(hash_file(*b.lookup(h), HashAlgorithm::sha256), h);
  }
  EXPECT_EQ(temp_files(b), 0u);
  EXPECT_THROW(pull(b, *remote, {"../x"}), InvalidHashError);
}

// A body that does not hash to its name, read through or pulled, is reported with the URL it
// came from without the credentials of the remote's base URL.
TEST(StoreRemoteTest, ACorruptBodyIsReportedWithoutCredentialsByReadThroughAndPull) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  TempDir tmp;
  const std::string hash = hash_bytes("genuine", HashAlgorithm::sha256);
  write_file(nginx.data_dir() / "cas" / hash, "forged");
  const std::string expected = "GET " + nginx.url() + "/cas/" + hash + ": body hashes to " +
                               hash_bytes("forged", HashAlgorithm::sha256);
  auto remote = http("http://bob:hunter2-s3cret@127.0.0.1:" + std::to_string(nginx.port()));
  std::vector<std::string> reported;
  Store store(tmp / "s", with_remote(remote, &reported));
  EXPECT_FALSE(store.lookup(hash));
  EXPECT_FALSE(store.open(hash));
  ASSERT_EQ(reported.size(), 2u);
  for (const std::string& m : reported) EXPECT_EQ(m, expected);
  EXPECT_EQ(store.remote_stats().last_error, expected);
  EXPECT_EQ(store.remote_stats().fetch_errors, 2u);

  std::vector<std::string> pulled;
  PullOptions po;
  po.on_error = [&](const std::string& m) { pulled.push_back(m); };
  PullResult r = pull(store, *remote, {hash}, po);
  EXPECT_EQ(r.corrupt, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], expected);
  ASSERT_EQ(pulled.size(), 1u);
  EXPECT_EQ(pulled[0], expected);
  EXPECT_FALSE(store.lookup_local(hash));
}

}  // namespace
}  // namespace cas
