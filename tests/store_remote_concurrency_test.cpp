// Many threads on one Store (and so one HttpRemote and its pool of connections) reading through
// and writing through at once, against a real nginx on loopback. Run under TSan by
// tools/test.sh (the name matches its filter).
#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/store.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

using test::read_file;
using test::TempDir;
using test::write_file;

TEST(StoreRemoteConcurrencyTest, ThreadsReadingAndWritingThroughOneStoreGetVerifiedContent) {
  CAS_SKIP_WITHOUT_NGINX();
  test::NginxServer nginx;
  TempDir tmp;
  constexpr int kObjects = 40;
  constexpr int kThreads = 4;
  std::vector<std::string> hashes;
  for (int i = 0; i < kObjects; ++i) {
    const std::string content = "remote object " + std::to_string(i);
    hashes.push_back(hash_bytes(content, HashAlgorithm::sha256));
    write_file(nginx.data_dir() / "cas" / hashes.back(), content);
  }
  StoreOptions options;
  HttpRemoteOptions ro;
  ro.max_in_flight = 4;
  options.remote = std::make_shared<HttpRemote>(nginx.url(), ro);
  Store store(tmp / "s", options);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> order(kObjects);
      for (int i = 0; i < kObjects; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(t));
      for (int i : order) {
        auto path = store.lookup(hashes[i]);
        if (!path || read_file(*path) != "remote object " + std::to_string(i)) ++wrong;
      }
      // And each thread writes through a few of its own.
      for (int i = 0; i < 5; ++i) {
        const auto src = tmp / ("src" + std::to_string(t) + "-" + std::to_string(i));
        write_file(src, "written by " + std::to_string(t) + "/" + std::to_string(i));
        store.put(src);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  const RemoteStats stats = store.remote_stats();
  EXPECT_GE(stats.fetched, static_cast<std::uint64_t>(kObjects));  // races may fetch twice
  EXPECT_EQ(stats.fetch_errors + stats.upload_errors, 0u) << stats.last_error;
  EXPECT_EQ(stats.uploaded, static_cast<std::uint64_t>(kThreads * 5));
}

}  // namespace
}  // namespace cas
