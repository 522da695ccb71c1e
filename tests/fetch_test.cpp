// cas::fetch against a real nginx on 127.0.0.1: a fetch, a hit without network, mirrors after
// a 404, retries of a 5xx, wrong content never published, a redirect, https with its CA, the
// size cap, the bazel-repo layout.
#include "cas/fetch.hpp"

#include <gtest/gtest.h>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "cas/operations.hpp"
#include "fetch_test_util.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas::test {
namespace {

namespace fs = boost::filesystem;

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CAS_SKIP_WITHOUT_NGINX();
    server_ = std::make_unique<NginxServer>();
  }
  // Serves `content` as /files/<name>; returns its URL.
  std::string serve(const std::string& name, const std::string& content) {
    return serve_file(*server_, name, content);
  }

  TempDir dir_;
  std::unique_ptr<NginxServer> server_;
};

TEST_F(FetchTest, FetchesVerifiesAndPublishes) {
  const std::string content = "hello, fetch\n";
  const std::string hash = sha256(content);
  Store store(dir_ / "store");
  const fs::path path = fetch(store, hash, {serve("a.txt", content)});
  EXPECT_EQ(path, store.preferred_path(hash));
  EXPECT_EQ(read_file(path), content);
  EXPECT_EQ(temp_files(store), 0u);
  EXPECT_TRUE(server_->logged("GET /files/a.txt"));
}

TEST_F(FetchTest, LocalHitMakesNoRequest) {
  Store store(dir_ / "store");
  write_file(dir_ / "src", "present\n");
  const std::string hash = store.put(dir_ / "src");
  // Nothing listens on this port: a request would fail.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(unused_port()) + "/x";
  EXPECT_EQ(fetch(store, hash, {nowhere}), store.preferred_path(hash));
}

TEST_F(FetchTest, FallsBackToTheNextMirrorAfter404) {
  const std::string content = "mirrored\n";
  const std::string hash = sha256(content);
  Store store(dir_ / "store");
  FetchOptions options;
  options.backoff = std::chrono::milliseconds(1);
  const fs::path path =
      fetch(store, hash, {server_->url() + "/files/missing", serve("m.txt", content)}, options);
  EXPECT_EQ(read_file(path), content);
  // A 404 is not retried.
  EXPECT_EQ(count_requests(*server_, "GET /files/missing"), 1u);
}

TEST_F(FetchTest, RetriesAServerErrorThenTriesTheNextUrl) {
  const std::string content = "after 500s\n";
  const std::string hash = sha256(content);
  Store store(dir_ / "store");
  FetchOptions options;
  options.retries = 2;
  options.backoff = std::chrono::milliseconds(1);
  fetch(store, hash, {server_->url() + "/fail/x", serve("r.txt", content)}, options);
  EXPECT_TRUE(server_->logged("GET /files/r.txt"));
  EXPECT_EQ(count_requests(*server_, "GET /fail/x"), 3u);  // the first and two retries
}

TEST_F(FetchTest, WrongContentIsNeverPublishedAndNamesUrlAndBothHashes) {
  const std::string hash = sha256("the real thing\n");
  const std::string actual = sha256("an impostor\n");
  Store store(dir_ / "store");
  std::string url = serve("bad.txt", "an impostor\n");
  url.insert(url.find("//") + 2, "user:s3cret@");
  try {
    fetch(store, hash, {url});
    FAIL() << "fetch accepted wrong content";
  } catch (const FetchError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(hash), std::string::npos) << what;
    EXPECT_NE(what.find(actual), std::string::npos) << what;
    EXPECT_NE(what.find("/files/bad.txt"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
  }
  EXPECT_FALSE(store.lookup_local(hash));
  EXPECT_EQ(temp_files(store), 0u);
}

TEST_F(FetchTest, ALargeBodyIsHashedBesideTheTransfer) {
  // Past 2 MiB a thread hashes what the transfer wrote: the same verdicts as inline.
  std::string content(5 << 20, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 % 251);
  const std::string url = serve("large", content);
  Store store(dir_ / "store");
  const std::string wrong = sha256("something else");
  try {
    fetch(store, wrong, {url});
    FAIL() << "fetch accepted wrong content";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find(sha256(content)), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store.lookup_local(wrong));
  EXPECT_EQ(temp_files(store), 0u);
  EXPECT_EQ(read_file(fetch(store, sha256(content), {url})), content);
}

TEST_F(FetchTest, FollowsARedirect) {
  const std::string content = "moved\n";
  const std::string hash = sha256(content);
  serve("r.txt", content);
  Store store(dir_ / "store");
  EXPECT_EQ(read_file(fetch(store, hash, {server_->url() + "/moved/files/r.txt"})), content);
  EXPECT_TRUE(server_->logged("GET /moved/files/r.txt HTTP/1.1\" 302"));
}

TEST_F(FetchTest, SizeCapAndExpectedSizeAbortAndPublishNothing) {
  const std::string content(100000, 'x');
  const std::string hash = sha256(content);
  const std::string url = serve("big", content);
  Store store(dir_ / "store");
  FetchOptions capped;
  capped.max_bytes = 1000;
  try {
    fetch(store, hash, {url}, capped);
    FAIL() << "the cap did not stop the fetch";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("longer than 1000 bytes"), std::string::npos) << e.what();
    EXPECT_LT(e.bytes(), content.size());  // aborted before the body
  }
  FetchOptions sized;
  sized.size = content.size() - 1;
  EXPECT_THROW(fetch(store, hash, {url}, sized), FetchError);
  EXPECT_FALSE(store.lookup_local(hash));
  EXPECT_EQ(temp_files(store), 0u);
  sized.size = content.size();
  EXPECT_EQ(read_file(fetch(store, hash, {url}, sized)), content);
}

TEST_F(FetchTest, RefusesABadHashOrUrlBeforeAnyRequest) {
  Store store(dir_ / "store");
  const std::string url = serve("a", "a");
  EXPECT_THROW(fetch(store, "../../etc/passwd", {url}), InvalidHashError);
  EXPECT_THROW(fetch(store, sha256("a").substr(0, 10), {url}), InvalidHashError);
  EXPECT_THROW(fetch(store, sha256("a"), {"ftp://127.0.0.1/a"}), InvalidArgumentError);
  EXPECT_THROW(fetch(store, sha256("a"), {url, "not a url"}), InvalidArgumentError);
  EXPECT_EQ(server_->access_log(), "");
}

TEST_F(FetchTest, FileUrls) {
  const std::string content = "local file\n";
  write_file(dir_ / "origin", content);
  Store store(dir_ / "store");
  const std::string hash = sha256(content);
  const std::string missing = "file://" + (dir_ / "nope").string();
  EXPECT_EQ(read_file(fetch(store, hash, {missing, "file://" + (dir_ / "origin").string()})),
            content);
}

TEST_F(FetchTest, FetchManyCountsEachOutcome) {
  Store store(dir_ / "store");
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 20; ++i) {
    const std::string content = "file " + std::to_string(i) + "\n";
    requests.push_back({sha256(content), {serve("f" + std::to_string(i), content)}, {}});
  }
  requests.push_back({sha256("absent"), {server_->url() + "/files/absent"}, {}});
  write_file(dir_ / "src", "file 0\n");
  store.put(dir_ / "src");
  FetchOptions options;
  options.http.max_in_flight = 4;
  const FetchResult r = fetch_many(store, requests, options);
  EXPECT_EQ(r.fetched, 19u);
  EXPECT_EQ(r.already_present, 1u);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("HTTP 404"), std::string::npos) << r.errors[0];
  EXPECT_GT(r.bytes, 0u);
}

TEST_F(FetchTest, FetchManyKeepsEachWorkersConnectionAcrossRequests) {
  StoreOptions batched;
  batched.durability = Durability::batch;  // and fetch_many flushes at the end
  Store store(dir_ / "store", batched);
  std::vector<FetchRequest> requests;
  for (int i = 0; i < 30; ++i) {
    const std::string content = "reused " + std::to_string(i) + "\n";
    requests.push_back({sha256(content), {serve("r" + std::to_string(i), content)}, {}});
  }
  FetchOptions options;
  options.http.max_in_flight = 3;
  EXPECT_EQ(fetch_many(store, requests, options).fetched, 30u);
  // 30 requests over at most one connection per worker (curl --parallel's reuse), not 30.
  EXPECT_LE(count_connections(*server_, "GET /files/r"), 3u) << server_->access_log();
}

TEST_F(FetchTest, HonoursRetryAfter) {
  const std::string content = "after a 503\n";
  const std::string hash = sha256(content);
  Store store(dir_ / "store");
  FetchOptions options;
  options.retries = 1;
  options.backoff = std::chrono::milliseconds(1);  // the server's Retry-After: 1 wins
  const auto start = std::chrono::steady_clock::now();
  fetch(store, hash, {server_->url() + "/busy/x", serve("b.txt", content)}, options);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
  EXPECT_EQ(count_requests(*server_, "GET /busy/x"), 2u);
}

TEST_F(FetchTest, ReportsProgressDuringATransfer) {
  const std::string content(3 << 20, 'p');  // 3 MiB at /slow/'s 4 MiB/s: most of a second
  const std::string hash = sha256(content);
  serve("p", content);
  Store store(dir_ / "store");
  FetchOptions options;
  struct Seen {
    std::string hash, url;
    std::uint64_t bytes;
    std::optional<std::uint64_t> total;
  };
  std::vector<Seen> seen;  // (FetchProgress refers to the transfer's strings: copy them)
  options.progress = [&](const FetchProgress& p) {
    seen.push_back({p.hash, p.url, p.bytes, p.total});
  };
  fetch(store, hash, {server_->url() + "/slow/files/p"}, options);
  ASSERT_FALSE(seen.empty());
  for (const auto& p : seen) {
    EXPECT_EQ(p.hash, hash);
    EXPECT_EQ(p.url, server_->url() + "/slow/files/p");
    EXPECT_LE(p.bytes, content.size());
    EXPECT_EQ(p.total.value_or(content.size()), content.size());
  }
}

TEST(FetchHttpsTest, TrustsTheGivenCa) {
  CAS_SKIP_WITHOUT_NGINX();
  if (!have_openssl()) GTEST_SKIP() << "openssl is not installed";
  NginxServer server(/*tls=*/true);
  TempDir dir;
  const std::string content = "over tls\n";
  const std::string url = serve_file(server, "t.txt", content);
  Store store(dir / "store");
  // Without the CA the certificate is not trusted.
  EXPECT_THROW(fetch(store, sha256(content), {url}), FetchError);
  FetchOptions options;
  options.http.ca_file = server.cert_file();
  EXPECT_EQ(read_file(fetch(store, sha256(content), {url}, options)), content);
}

TEST(FetchHttpsTest, NeverFollowsARedirectFromHttpsToHttp) {
  CAS_SKIP_WITHOUT_NGINX();
  if (!have_openssl()) GTEST_SKIP() << "openssl is not installed";
  NginxServer server(/*tls=*/true);
  NginxServer plain;  // serves the file over http, where the https server redirects
  TempDir dir;
  const std::string content = "downgraded\n";
  serve_file(plain, "d.txt", content);
  const std::string to = "/tohttp/files/d.txt?to=" + std::to_string(plain.port());
  Store store(dir / "store");
  FetchOptions options;
  options.http.ca_file = server.cert_file();
  try {
    fetch(store, sha256(content), {server.url() + to}, options);
    FAIL() << "followed a redirect from https to http";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("/tohttp/files/d.txt"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(server.logged("GET /tohttp/files/d.txt"));
  EXPECT_EQ(count_requests(plain, "GET /files/d.txt"), 0u);
  EXPECT_FALSE(store.lookup_local(sha256(content)));
  // The same redirect from http is followed: what was refused was the downgrade alone.
  EXPECT_EQ(read_file(fetch(store, sha256(content), {plain.url() + to})), content);
}

TEST_F(FetchTest, BazelRepoStoreHoldsWhatBazelReads) {
  const std::string content = "an archive\n";
  const std::string hash = sha256(content);
  const fs::path cache = dir_ / "repository_cache";
  const fs::path root = cache / "content_addressable" / "sha256";
  StoreOptions options;
  options.layouts = {layout_by_name("bazel-repo")};
  Store store(root, options);
  EXPECT_EQ(fetch(store, hash, {serve("a.tar", content)}), root / hash / "file");
  EXPECT_EQ(read_file(root / hash / "file"), content);  // what Bazel opens
  // The store-wide operations see it as content.
  std::vector<std::string> listed;
  store.walk([&](const std::string& h) { listed.push_back(h); });
  EXPECT_EQ(listed, std::vector<std::string>{hash});
  EXPECT_EQ(verify(store).ok, 1u);
  EXPECT_EQ(stats(store).hashes, 1u);
  TrimOptions trim_all;
  trim_all.max_files = 0;
  EXPECT_EQ(trim(store, trim_all).removed_files, 1u);
  EXPECT_FALSE(fs::exists(root / hash));  // its directory went with it
}

TEST(BazelRepoLayoutTest, PlacesHashAtHashSlashFile) {
  const auto layout = layout_by_name("bazel-repo");
  const std::string hash = sha256("x");
  EXPECT_EQ(layout->name(), "bazel-repo");
  EXPECT_EQ(layout->lookup(hash), hash + "/file");
  EXPECT_EQ(layout->path_to_hash(hash + "/file"), hash);
  EXPECT_EQ(layout->hash_at(hash + "/file", "file"), hash);
  EXPECT_EQ(layout->hash_at(hash + "/id-abc", "id-abc"), "");
  EXPECT_EQ(layout->hash_at("ab/" + hash + "/file", "file"), "");
  EXPECT_EQ(layout->hash_at("/file", "file"), "");
  EXPECT_THROW(layout->path_to_hash(hash), InvalidHashError);
  EXPECT_THROW(layout->lookup("../x"), InvalidHashError);
  // contains(path, hash) is lookup(hash) == path (the file is not named by its hash here).
  EXPECT_TRUE(layout->contains(hash + "/file", hash));
  EXPECT_TRUE(layout->contains("e/file", "e"));  // "e" is a valid (short) hash
  EXPECT_FALSE(layout->contains(hash + "/" + hash, hash));
  EXPECT_FALSE(layout->contains(hash + "/file", "file"));
  EXPECT_FALSE(layout->contains(hash, hash));
}

}  // namespace
}  // namespace cas::test
