// Crash safety: a child process doing put, insert, migrate or purge is killed with SIGKILL at
// a random instant, 200 times. After each kill the store must hold only complete files under
// their right names (each hashes to its name), walk must see no temp or stray file, nothing
// that was already stored may be lost, and re-running the operation must complete.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr int kFiles = 150;

// Contents big enough that a kill can land in the middle of a copy.
std::string content_of(int i) {
  return "content " + std::to_string(i) + "\n" + std::string(20000 + 997 * (i % 40), 'a' + i % 26);
}
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

enum class Op { put, insert, migrate, purge };
const char* name_of(Op op) {
  switch (op) {
    case Op::put:
      return "put";
    case Op::insert:
      return "insert";
    case Op::migrate:
      return "migrate";
    case Op::purge:
      return "purge";
  }
  return "?";
}

class CrashTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "store"; }
  fs::path sources() const { return tmp_ / "sources"; }
  fs::path staging() const { return tmp_ / "staging"; }

  void SetUp() override {
    for (int i = 0; i < kFiles; ++i) test::write_file(sources() / std::to_string(i), content_of(i));
    fs::create_directories(staging());
  }

  // The operation as a user runs it. insert moves files downloaded next to the store.
  void run(Op op) {
    Store store(root(), StoreOptions{.durability = Durability::file});
    switch (op) {
      case Op::put:
        for (int i = 0; i < kFiles; ++i) store.put(sources() / std::to_string(i));
        break;
      case Op::insert:
        for (int i = 0; i < kFiles; ++i) {
          fs::path dl = staging() / ("dl-" + std::to_string(::getpid()) + "-" + std::to_string(i));
          fs::copy_file(sources() / std::to_string(i), dl, fs::copy_options::overwrite_existing);
          store.insert(hash_of(i), dl);
        }
        break;
      case Op::migrate:
        if (migrate(store).failed != 0) throw std::runtime_error("migrate failed");
        break;
      case Op::purge:
        if (purge(store).failed != 0) throw std::runtime_error("purge failed");
        break;
    }
  }

  // Every hash walk reports opens to content that hashes to it; walk sees nothing else.
  std::set<std::string> check_store(const std::string& when) {
    Store check(root(), StoreOptions{.read_only = true});
    std::set<std::string> seen;
    try {
      check.walk([&](const std::string& h) {
        auto p = check.lookup(h);
        if (!p) {
          ADD_FAILURE() << when << ": walked " << h << " but lookup misses it";
          return;
        }
        EXPECT_EQ(hash_bytes(test::read_file(*p), HashAlgorithm::sha256), h)
            << when << ": torn or misnamed " << *p;
        seen.insert(h);
      });
    } catch (const UnrecognizedPathsError& e) {
      for (const auto& p : e.paths()) ADD_FAILURE() << when << ": walk sees stray file " << p;
    }
    return seen;
  }

  test::TempDir tmp_;
};

TEST_F(CrashTest, SigkillAtRandomInstantsLeavesOnlyCompleteFilesAndRerunsComplete) {
  // CAS_CRASH_ITERATIONS runs more (or fewer) rounds by hand; the suite runs 200.
  const char* env = ::getenv("CAS_CRASH_ITERATIONS");
  const int iterations = env ? std::atoi(env) : 200;
  std::mt19937 rng(20261122);
  int killed_mid_run[4] = {0, 0, 0, 0};
  const V0Layout v0;
  for (int iter = 0; iter < iterations; ++iter) {
    const Op op = static_cast<Op>(iter % 4);
    // Before: what the store holds that this operation must not lose (purge may remove it).
    if (op == Op::migrate) {
      // Some files in the legacy layout for migrate to move.
      for (int i = iter % 3; i < kFiles; i += 3) {
        if (!fs::exists(root() / V1Layout().lookup(hash_of(i)))) {
          test::write_file(root() / v0.lookup(hash_of(i)), content_of(i));
        }
      }
    }
    const std::set<std::string> before = check_store("before iteration " + std::to_string(iter));

    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        run(op);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << name_of(op) << " failed by itself in iteration " << iter;
    killed_mid_run[iter % 4] += WIFSIGNALED(status);

    const std::string when =
        std::string("after killing ") + name_of(op) + " in iteration " + std::to_string(iter);
    const std::set<std::string> after = check_store(when);
    if (op != Op::purge) {
      for (const auto& h : before) ASSERT_TRUE(after.count(h)) << when << ": lost " << h;
    }
    if (HasFailure()) return;

    // The re-run completes and leaves the state the operation promises.
    ASSERT_NO_THROW(run(op)) << "re-running " << name_of(op) << " in iteration " << iter;
    const std::set<std::string> done = check_store("after re-running " + when);
    if (op == Op::purge) {
      ASSERT_TRUE(done.empty());
    } else {
      for (const auto& h : after) ASSERT_TRUE(done.count(h)) << "re-run lost " << h;
    }
    if (op == Op::put || op == Op::insert) {
      ASSERT_EQ(done.size(), static_cast<std::size_t>(kFiles));
    }
    if (op == Op::migrate) {
      for (int i = 0; i < kFiles; ++i) {
        ASSERT_FALSE(fs::exists(root() / v0.lookup(hash_of(i)))) << "left in V0: " << i;
      }
    }
    if (HasFailure()) return;
  }
  std::printf("killed mid-run: put %d, insert %d, migrate %d, purge %d of %d each\n",
              killed_mid_run[0], killed_mid_run[1], killed_mid_run[2], killed_mid_run[3],
              iterations / 4);
  // The kills must have interrupted runs of every operation, or the test proves nothing.
  for (int op = 0; op < 4; ++op) {
    EXPECT_GT(killed_mid_run[op], 0) << name_of(static_cast<Op>(op)) << " always finished first";
  }
}

}  // namespace
}  // namespace cas
