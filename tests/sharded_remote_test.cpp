// cas::ShardPlacement (pure: 100k hashes, no server) and cas::ShardedRemote's routing over
// in-process fake remotes: where each hash goes, what a failing shard costs, on_done's thread.
// ShardedRemote against real nginx servers is tests/sharded_remote_nginx_test.cpp.
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/sharded_remote.hpp"

namespace cas {
namespace {

// 100k distinct sha256 hashes, made once for every test.
const std::vector<std::string>& many_hashes() {
  static const std::vector<std::string> hashes = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 100000; ++i)
      out.push_back(hash_bytes(std::to_string(i), HashAlgorithm::sha256));
    return out;
  }();
  return hashes;
}

std::vector<ShardWeight> servers(int n) {
  std::vector<ShardWeight> out;
  for (int i = 0; i < n; ++i) out.push_back({"http://cache-" + std::to_string(i) + ":8080", 1.0});
  return out;
}

std::vector<std::size_t> place_all(const ShardPlacement& placement) {
  std::vector<std::size_t> out;
  for (const auto& h : many_hashes()) out.push_back(placement.shard_for(h));
  return out;
}

std::vector<std::size_t> sizes_of(const std::vector<std::size_t>& placed, std::size_t shards) {
  std::vector<std::size_t> sizes(shards);
  for (std::size_t s : placed) ++sizes[s];
  return sizes;
}

TEST(ShardPlacementTest, EqualWeightsSpread100kHashesWithinTenPercentOfEven) {
  for (int n : {2, 3, 4}) {
    const auto sizes = sizes_of(place_all(ShardPlacement(servers(n))), n);
    const double even = 100000.0 / n;
    for (std::size_t size : sizes) {
      EXPECT_NEAR(static_cast<double>(size), even, even * 0.10) << n << " shards";
    }
  }
}

TEST(ShardPlacementTest, AddingAFourthServerMovesAboutAQuarterAllOntoIt) {
  const auto before = place_all(ShardPlacement(servers(3)));
  const auto after = place_all(ShardPlacement(servers(4)));
  std::size_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    EXPECT_EQ(after[i], 3u) << many_hashes()[i] << " moved between old servers";
  }
  // The new server's fair share is 25%: at most 30% moves, and at least 20% (it does get work).
  EXPECT_LE(moved, 30000u);
  EXPECT_GE(moved, 20000u);
}

TEST(ShardPlacementTest, RemovingAServerMovesOnlyItsOwnHashes) {
  const auto before = place_all(ShardPlacement(servers(4)));
  auto three = servers(4);
  three.erase(three.begin() + 1);  // cache-1 goes; indices 2, 3 become 1, 2
  const auto after = place_all(ShardPlacement(three));
  const std::size_t old_index[] = {0, 2, 3};
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] != 1) {
      EXPECT_EQ(old_index[after[i]], before[i]) << many_hashes()[i];
    }
  }
}

TEST(ShardPlacementTest, TheOrderOfTheShardsDoesNotMatter) {
  auto shards = servers(3);
  const ShardPlacement forward(shards);
  std::swap(shards[0], shards[2]);
  const ShardPlacement reversed(shards);
  for (std::size_t i = 0; i < 2000; ++i) {
    const auto& h = many_hashes()[i];
    EXPECT_EQ(forward.name(forward.shard_for(h)), reversed.name(reversed.shard_for(h)));
  }
}

TEST(ShardPlacementTest, WeightsSkewTheShareProportionally) {
  const ShardPlacement placement({{"http://a", 1}, {"http://b", 2}, {"http://c", 3}});
  const auto sizes = sizes_of(place_all(placement), 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const double expected = 100000.0 * static_cast<double>(i + 1) / 6;
    EXPECT_NEAR(static_cast<double>(sizes[i]), expected, expected * 0.10) << "shard " << i;
  }
}

// The placement is written down (sharded_remote.hpp): sha256("name\nhash"), 53 bits, weight /
// -ln(u). These indices were computed apart, with Python's hashlib and math.log, so that a
// change of the formula (which would move every object of a deployed cache) fails here.
TEST(ShardPlacementTest, PlacementMatchesTheDocumentedFormula) {
  const std::vector<std::string> names = {"http://a.example:8080", "http://b.example:8080",
                                          "http://c.example:8080"};
  const std::vector<std::size_t> equal = {0, 2, 0, 0, 0, 1, 1, 2, 0, 0, 0, 1};
  const std::vector<std::size_t> weighted = {0, 2, 2, 0, 1, 1, 2, 2, 2, 2, 0, 1};
  const ShardPlacement even({{names[0], 1}, {names[1], 1}, {names[2], 1}});
  const ShardPlacement skewed({{names[0], 1}, {names[1], 2}, {names[2], 3}});
  for (std::size_t i = 0; i < equal.size(); ++i) {
    const std::string h = hash_bytes(std::to_string(i), HashAlgorithm::sha256);
    EXPECT_EQ(even.shard_for(h), equal[i]) << i;
    EXPECT_EQ(skewed.shard_for(h), weighted[i]) << i;
  }
}

TEST(ShardPlacementTest, NamesDropCredentialsAndTrailingSlashes) {
  const ShardPlacement with({{"http://alice:s3cret@a.example:8080/", 1}, {"http://b/x//", 1}});
  const ShardPlacement without({{"http://a.example:8080", 1}, {"http://b/x", 1}});
  EXPECT_EQ(with.name(0), "http://a.example:8080");
  EXPECT_EQ(with.name(1), "http://b/x");
  for (std::size_t i = 0; i < 500; ++i) {
    EXPECT_EQ(with.shard_for(many_hashes()[i]), without.shard_for(many_hashes()[i]));
  }
}

TEST(ShardPlacementTest, RejectsNoShardsEmptyOrRepeatedNamesAndBadWeights) {
  EXPECT_THROW(ShardPlacement({}), InvalidArgumentError);
  EXPECT_THROW(ShardPlacement({{"", 1}}), InvalidArgumentError);
  EXPECT_THROW(ShardPlacement({{"/", 1}}), InvalidArgumentError);
  EXPECT_THROW(ShardPlacement({{"http://a", 1}, {"http://u:p@a/", 2}}), InvalidArgumentError);
  for (double w : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_THROW(ShardPlacement({{"http://a", w}}), InvalidArgumentError) << w;
  }
  try {
    ShardPlacement({{"http://a", 1}, {"http://bob:pw123@a", 1}});
    FAIL() << "no throw";
  } catch (const InvalidArgumentError& e) {
    EXPECT_EQ(std::string(e.what()).find("pw123"), std::string::npos) << e.what();
  }
}

// A remote in memory: holds the hashes it was given, counts its requests, and either answers or
// fails every request ("down").
class FakeRemote final : public Remote {
 public:
  explicit FakeRemote(bool down = false, std::chrono::milliseconds delay = {})
      : down_(down), delay_(delay) {}

  RemoteResult contains(const std::string& hash) override { return answer(hash, false); }
  RemoteResult fetch(const std::string& hash, int) override { return answer(hash, false); }
  RemoteResult upload(const std::string& hash, const boost::filesystem::path&) override {
    return answer(hash, true);
  }
  std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) override {
    std::vector<RemoteResult> out;
    for (const auto& h : hashes) out.push_back(answer(h, false));
    return out;
  }
  std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                       const std::vector<int>&, const FetchDone& on_done) override {
    std::vector<RemoteResult> out;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      out.push_back(answer(hashes[i], false));
      if (on_done) on_done(i, out.back());
    }
    return out;
  }
  std::vector<RemoteResult> upload_many(const std::vector<std::string>& hashes,
                                        const std::vector<boost::filesystem::path>&) override {
    std::vector<RemoteResult> out;
    for (const auto& h : hashes) out.push_back(answer(h, true));
    return out;
  }

  std::set<std::string> held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }
  std::size_t requests() const { return requests_; }

 private:
  RemoteResult answer(const std::string& hash, bool store) {
    ++requests_;
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (down_) return {RemoteStatus::failed, 0, "connection refused"};
    std::lock_guard lock(mutex_);
    if (store) held_.insert(hash);
    return {held_.count(hash) ? RemoteStatus::present : RemoteStatus::absent, hash.size(), ""};
  }
  bool down_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mutex_;
  std::set<std::string> held_;
  std::atomic<std::size_t> requests_{0};
};

struct FakeCluster {
  explicit FakeCluster(int n, int down = -1) {
    for (int i = 0; i < n; ++i) {
      fakes.push_back(std::make_shared<FakeRemote>(i == down, std::chrono::milliseconds(1)));
      shards.push_back({fakes.back(), "http://fake-" + std::to_string(i), 1.0});
    }
  }
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  std::vector<RemoteShard> shards;
};

std::vector<std::string> first_hashes(std::size_t n) {
  return {many_hashes().begin(), many_hashes().begin() + static_cast<long>(n)};
}

TEST(ShardedRemoteTest, EachUploadGoesToItsShardOnlyAndResultsKeepInputOrder) {
  FakeCluster cluster(3);
  ShardedRemote remote(cluster.shards);
  const auto hashes = first_hashes(300);
  const auto up = remote.upload_many(hashes, std::vector<boost::filesystem::path>(300, "/x"));
  ASSERT_EQ(up.size(), hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    EXPECT_EQ(up[i].bytes, hashes[i].size());  // the fake answers with the hash's own length
    const std::size_t shard = remote.shard_for(hashes[i]);
    for (std::size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(cluster.fakes[s]->held().count(hashes[i]), s == shard ? 1u : 0u);
    }
  }
  for (const auto& s : remote.stats()) EXPECT_GT(s.present, 50u) << s.name;
  const auto seen = remote.contains_many(hashes);
  for (const auto& r : seen) EXPECT_EQ(r.status, RemoteStatus::present);
  EXPECT_EQ(remote.contains(hash_bytes("never", HashAlgorithm::sha1)).status, RemoteStatus::absent);
}

TEST(ShardedRemoteTest, FetchManyCallsOnDoneOnceEachFromTheCallingThread) {
  FakeCluster cluster(4);
  ShardedRemote remote(cluster.shards);
  const auto hashes = first_hashes(200);
  remote.upload_many(hashes, std::vector<boost::filesystem::path>(200, "/x"));
  std::vector<int> calls(hashes.size());
  std::set<std::thread::id> threads;
  const auto got = remote.fetch_many(hashes, std::vector<int>(200, -1),
                                     [&](std::size_t i, const RemoteResult& r) {
                                       ++calls.at(i);
                                       threads.insert(std::this_thread::get_id());
                                       EXPECT_EQ(r.status, RemoteStatus::present);
                                     });
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    EXPECT_EQ(got[i].status, RemoteStatus::present);
  }
}

TEST(ShardedRemoteTest, ADownShardFailsItsShareOnlyCountedAndNamedPerShard) {
  FakeCluster cluster(3, /*down=*/1);
  ShardedRemote remote(cluster.shards);
  const auto hashes = first_hashes(300);
  const auto up = remote.upload_many(hashes, std::vector<boost::filesystem::path>(300, "/x"));
  std::size_t on_down = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (remote.shard_for(hashes[i]) == 1) {
      ++on_down;
      EXPECT_EQ(up[i].status, RemoteStatus::failed);
      EXPECT_EQ(up[i].error, "http://fake-1: connection refused");
    } else {
      EXPECT_EQ(up[i].status, RemoteStatus::present) << up[i].error;
    }
  }
  const auto stats = remote.stats();
  EXPECT_EQ(stats[1].failed, on_down);
  EXPECT_EQ(stats[1].present, 0u);
  EXPECT_EQ(stats[1].last_error, "http://fake-1: connection refused");
  EXPECT_EQ(stats[0].failed + stats[2].failed, 0u);
  EXPECT_EQ(stats[0].present + stats[2].present, hashes.size() - on_down);
}

TEST(ShardedRemoteTest, HostileHashesThrowBeforeAnyShardIsAsked) {
  FakeCluster cluster(3);
  ShardedRemote remote(cluster.shards);
  const std::string good = many_hashes()[0];
  const std::vector<std::string> mixed = {good, "../../etc/passwd"};
  EXPECT_THROW(remote.contains("../x"), InvalidHashError);
  EXPECT_THROW(remote.fetch(good.substr(0, 32), -1), InvalidHashError);
  EXPECT_THROW(remote.upload(std::string(64, 'G'), "/x"), InvalidHashError);
  EXPECT_THROW(remote.contains_many(mixed), InvalidHashError);
  EXPECT_THROW(remote.fetch_many(mixed, {-1, -1}), InvalidHashError);
  EXPECT_THROW(remote.upload_many(mixed, {"/x", "/y"}), InvalidHashError);
  EXPECT_THROW(remote.shard_for("x"), InvalidHashError);
  EXPECT_THROW(remote.fetch_many({good}, {}), InvalidArgumentError);
  for (const auto& fake : cluster.fakes) EXPECT_EQ(fake->requests(), 0u);
}

TEST(ShardedRemoteTest, RejectsANullRemote) {
  EXPECT_THROW(ShardedRemote({{nullptr, "http://a", 1}}), InvalidArgumentError);
}

}  // namespace
}  // namespace cas
