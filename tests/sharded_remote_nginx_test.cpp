// cas::ShardedRemote over real nginx servers on loopback (tests/nginx_server.hpp): each object on
// exactly the server its placement names, growing from two servers to three, a server that is
// down, hostile hashes, and a Store reading and writing through the shards.
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/sharded_remote.hpp"
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

class ShardedRemoteNginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CAS_SKIP_WITHOUT_NGINX();
    for (int i = 0; i < 3; ++i) servers_.push_back(std::make_unique<NginxServer>());
  }

  // A sharded remote over `urls`, which are their servers' names (as `cas` does).
  static std::shared_ptr<ShardedRemote> remote_over_urls(const std::vector<std::string>& urls) {
    std::vector<RemoteShard> shards;
    for (const std::string& url : urls) {
      HttpRemoteOptions o;
      o.connect_timeout_ms = 2000;
      shards.push_back({std::make_shared<HttpRemote>(url, o), url});
    }
    return std::make_shared<ShardedRemote>(std::move(shards));
  }
  // Over the first `n` servers.
  std::shared_ptr<ShardedRemote> remote(std::size_t n) const {
    std::vector<std::string> urls;
    for (std::size_t i = 0; i < n; ++i) urls.push_back(servers_[i]->url());
    return remote_over_urls(urls);
  }

  // A store at dir_/name holding `n` small files; returns their hashes.
  std::vector<std::string> fill(const std::string& name, int n) {
    Store store(dir_ / name);
    std::vector<std::string> hashes;
    for (int i = 0; i < n; ++i) {
      const std::string content = "object " + std::to_string(i);
      write_file(dir_ / "src", content);
      hashes.push_back(hash_bytes(content, HashAlgorithm::sha256));
      store.insert(hashes.back(), dir_ / "src");
    }
    return hashes;
  }

  std::vector<std::size_t> holders(const std::string& hash) const {
    return test::servers_holding(servers_, hash);
  }

  TempDir dir_;
  std::vector<std::unique_ptr<NginxServer>> servers_;
};

TEST_F(ShardedRemoteNginxTest, PushPutsEachObjectOnExactlyTheServerItsPlacementNames) {
  const auto hashes = fill("a", 60);
  auto sharded = remote(3);
  Store store(dir_ / "a");
  const PushResult pushed = push(store, *sharded);
  EXPECT_EQ(pushed.uploaded, 60u);
  EXPECT_EQ(pushed.failed, 0u) << (pushed.errors.empty() ? "" : pushed.errors[0]);
  std::vector<int> per_server(3);
  for (const auto& h : hashes) {
    const std::size_t placed = sharded->shard_for(h);
    EXPECT_EQ(holders(h), std::vector<std::size_t>{placed}) << h;
    ++per_server[placed];
  }
  for (int count : per_server) EXPECT_GT(count, 5);  // 20 expected on each
  // Every HEAD and PUT went to the hash's own server: each access log names only its hashes.
  for (const auto& h : hashes) {
    for (std::size_t s = 0; s < 3; ++s) {
      const bool logged = servers_[s]->access_log().find(h) != std::string::npos;
      EXPECT_EQ(logged, s == sharded->shard_for(h)) << h << " on server " << s;
    }
  }
}

TEST_F(ShardedRemoteNginxTest, PullFetchesFromEveryShardAtOnceIntoAnotherStore) {
  const auto hashes = fill("a", 40);
  Store a(dir_ / "a");
  ASSERT_EQ(push(a, *remote(3)).uploaded, 40u);
  Store b(dir_ / "b");
  auto sharded = remote(3);
  const PullResult pulled = pull(b, *sharded, hashes);
  EXPECT_EQ(pulled.fetched, 40u);
  EXPECT_EQ(pulled.failed + pulled.missing + pulled.corrupt, 0u);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto path = b.lookup_local(hashes[i]);
    ASSERT_TRUE(path) << hashes[i];
    EXPECT_EQ(read_file(*path), "object " + std::to_string(i));
  }
  std::uint64_t present = 0;
  for (const auto& s : sharded->stats()) present += s.present;
  EXPECT_EQ(present, 40u);
}

TEST_F(ShardedRemoteNginxTest, AddingAThirdServerMovesObjectsOnlyOntoIt) {
  const auto hashes = fill("a", 90);
  Store store(dir_ / "a");
  ASSERT_EQ(push(store, *remote(2)).uploaded, 90u);
  auto two = remote(2);
  auto three = remote(3);
  std::size_t moved = 0;
  for (const auto& h : hashes) {
    if (two->shard_for(h) == three->shard_for(h)) continue;
    ++moved;
    EXPECT_EQ(three->shard_for(h), 2u) << h << " moved between the old servers";
  }
  EXPECT_GT(moved, 10u);  // a third expected
  // With three servers, exactly the moved hashes miss, and pushing again uploads only those,
  // onto the new server.
  const auto seen = three->contains_many(hashes);
  std::size_t absent = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const bool stays = two->shard_for(hashes[i]) == three->shard_for(hashes[i]);
    EXPECT_EQ(seen[i].status, stays ? RemoteStatus::present : RemoteStatus::absent) << hashes[i];
    absent += !stays;
  }
  const PushResult again = push(store, *three);
  EXPECT_EQ(again.uploaded, moved);
  EXPECT_EQ(again.already_present, 90 - moved);
  for (const auto& h : hashes) {
    if (two->shard_for(h) != three->shard_for(h)) {
      EXPECT_TRUE(fs::exists(servers_[2]->data_dir() / "cas" / h)) << h;
    }
  }
}

TEST_F(ShardedRemoteNginxTest, AServerThatIsDownCostsOnlyItsShareCountedPerServer) {
  const auto hashes = fill("a", 60);
  Store a(dir_ / "a");
  auto sharded = remote(3);
  ASSERT_EQ(push(a, *sharded).uploaded, 60u);
  const std::string down_url = servers_[1]->url();
  servers_[1].reset();  // stopped: its port now refuses connections
  Store b(dir_ / "b");
  auto after = remote_over_urls({servers_[0]->url(), down_url, servers_[2]->url()});
  std::size_t on_down = 0;
  for (const auto& h : hashes) on_down += after->shard_for(h) == 1;
  ASSERT_GT(on_down, 0u);
  const PullResult pulled = pull(b, *after, hashes);
  EXPECT_EQ(pulled.fetched, 60 - on_down);
  EXPECT_EQ(pulled.failed, on_down);
  EXPECT_EQ(pulled.missing, 0u);
  for (const auto& h : hashes) EXPECT_EQ(b.lookup_local(h).has_value(), after->shard_for(h) != 1);
  const auto stats = after->stats();
  EXPECT_EQ(stats[1].failed, on_down);
  EXPECT_NE(stats[1].last_error.find(down_url), std::string::npos) << stats[1].last_error;
  EXPECT_EQ(stats[0].failed + stats[2].failed, 0u);
  ASSERT_FALSE(pulled.errors.empty());
  EXPECT_NE(pulled.errors[0].find("GET " + down_url + "/cas/"), std::string::npos)
      << pulled.errors[0];
}

TEST_F(ShardedRemoteNginxTest, HostileHashesNeverReachAUrl) {
  auto sharded = remote(3);
  write_file(dir_ / "f", "x");
  const std::string good = hash_bytes("x", HashAlgorithm::sha256);
  const std::vector<std::string> hostile = {"../../etc/passwd", "", std::string(64, 'A'),
                                            good + "/x", good.substr(0, 63) + "%"};
  for (const std::string& bad : hostile) {
    EXPECT_THROW(sharded->contains(bad), InvalidHashError) << bad;
    EXPECT_THROW(sharded->upload(bad, dir_ / "f"), InvalidHashError) << bad;
    EXPECT_THROW(sharded->contains_many({good, bad}), InvalidHashError) << bad;
    EXPECT_THROW(sharded->upload_many({good, bad}, {dir_ / "f", dir_ / "f"}), InvalidHashError);
    EXPECT_THROW(sharded->fetch_many({good, bad}, {-1, -1}), InvalidHashError) << bad;
  }
  Store store(dir_ / "s");
  EXPECT_THROW(pull(store, *sharded, {good, "../x"}), InvalidHashError);
  for (const auto& server : servers_) EXPECT_EQ(server->access_log(), "");
}

TEST_F(ShardedRemoteNginxTest, AStoreWritesAndReadsThroughTheShards) {
  StoreOptions options;
  options.remote = remote(3);
  Store a(dir_ / "a", options);
  std::vector<std::string> hashes;
  for (int i = 0; i < 12; ++i) {
    write_file(dir_ / "f", "through " + std::to_string(i));
    hashes.push_back(a.put(dir_ / "f"));
  }
  auto placement = remote(3);
  for (const auto& h : hashes)
    EXPECT_EQ(holders(h), std::vector<std::size_t>{placement->shard_for(h)});
  Store b(dir_ / "b", options);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto path = b.lookup(hashes[i]);
    ASSERT_TRUE(path) << hashes[i];
    EXPECT_EQ(read_file(*path), "through " + std::to_string(i));
  }
  EXPECT_EQ(b.remote_stats().fetched, 12u);
}

}  // namespace
}  // namespace cas
