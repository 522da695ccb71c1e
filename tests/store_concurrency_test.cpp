// Many threads and processes sharing one store.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

std::string nth_hash(int i) { return hash_bytes(std::to_string(i), HashAlgorithm::sha1); }

TEST(StoreConcurrencyTest, EightThreadsLookupInsertRemoveOverlappingHashes) {
  test::TempDir tmp;
  Store store(tmp / "store", StoreOptions{.durability = Durability::none});
  constexpr int kHashes = 24;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 300; ++i) {
        int n = static_cast<int>(rng() % kHashes);
        std::string h = nth_hash(n);
        try {
          switch (rng() % 3) {
            case 0: {
              fs::path src = tmp / ("src-" + std::to_string(t));
              test::write_file(src, std::to_string(n));
              store.insert(h, src);
              break;
            }
            case 1: {
              if (auto in = store.open(h)) {
                std::string s((std::istreambuf_iterator<char>(*in)), {});
                // Content is always complete: never a torn or foreign file.
                if (s != std::to_string(n)) ++failures;
              }
              break;
            }
            default:
              store.remove(h);
          }
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // The store is consistent afterwards: only recognized files, each with its own content.
  store.walk([&](const std::string& h) {
    auto p = store.lookup(h);
    ASSERT_TRUE(p);
    bool matched = false;
    for (int n = 0; n < kHashes; ++n) {
      if (nth_hash(n) == h) matched = test::read_file(*p) == std::to_string(n);
    }
    EXPECT_TRUE(matched) << h;
  });
}

TEST(StoreConcurrencyTest, FourThreadsLookingUpOneV0FileNeverGetNullopt) {
  test::TempDir tmp;
  const std::string h = nth_hash(7);
  V0Layout v0;
  for (int round = 0; round < 200; ++round) {
    test::write_file(tmp / "store" / v0.lookup(h), "x");
    Store store(tmp / "store");
    std::atomic<int> absent{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (!go.load()) {
        }
        if (!store.lookup(h)) ++absent;
      });
    }
    go = true;
    for (auto& th : threads) th.join();
    ASSERT_EQ(absent.load(), 0) << "round " << round;
    ASSERT_TRUE(fs::exists(tmp / "store" / V1Layout().lookup(h)));
    ASSERT_FALSE(fs::exists(tmp / "store" / v0.lookup(h)));
    fs::remove(tmp / "store" / V1Layout().lookup(h));
  }
}

TEST(StoreConcurrencyTest, TwoProcessesMigratingOneV0TreeMoveEveryFileOnce) {
  test::TempDir tmp;
  V0Layout v0;
  V1Layout v1;
  constexpr int kFiles = 2000;
  for (int i = 0; i < kFiles; ++i) {
    test::write_file(tmp / "store" / v0.lookup(nth_hash(i)), std::to_string(i));
  }
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        Store store(tmp / "store");
        // Each process goes in a different order so they collide in the middle.
        for (int k = 0; k < kFiles; ++k) {
          int i = p == 0 ? k : kFiles - 1 - k;
          if (!store.lookup(nth_hash(i))) rc = 1;
        }
      } catch (...) {
        rc = 2;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  for (int i = 0; i < kFiles; ++i) {
    std::string h = nth_hash(i);
    EXPECT_EQ(test::read_file(tmp / "store" / v1.lookup(h)), std::to_string(i));
    EXPECT_FALSE(fs::exists(tmp / "store" / v0.lookup(h)));
  }
  // Every V0 second-level directory is gone, and nothing else is in the store.
  Store store(tmp / "store", StoreOptions{.layouts = {layout_by_name("v1")}});
  int visited = 0;
  EXPECT_NO_THROW(store.walk([&](const std::string&) { ++visited; }));
  EXPECT_EQ(visited, kFiles);
  for (fs::recursive_directory_iterator it(tmp / "store"), end; it != end; ++it) {
    EXPECT_LE(it.depth(), 1) << it->path();
  }
}

}  // namespace
}  // namespace cas
