// cas::migrate: every file moved to the preferred layout, both methods, progress, and no loss
// while other threads use the store or when the process is killed midway.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "operations_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::OperationsTest;

TEST_F(OperationsTest, MigrateMovesEveryV0FileAndPrunesOldDirectories) {
  populate(root(), kV0, 300);
  populate(root(), kV1, 20, 1000);
  Store store(root());
  MigrateResult r = migrate(store);
  EXPECT_EQ(r.moved, 300u);
  EXPECT_EQ(r.already_in_place, 20u);
  EXPECT_EQ(r.failed, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(test::read_file(root() / kV1.lookup(hash_of(i))), content_of(i));
  }
  // Only V1 buckets remain: every directory is at depth 1.
  for (fs::recursive_directory_iterator it(root()), end; it != end; ++it) {
    EXPECT_EQ(it.depth() == 0, fs::is_directory(it->path())) << it->path();
  }
  MigrateResult again = migrate(store);
  EXPECT_EQ(again.moved, 0u);
  EXPECT_EQ(again.already_in_place, 320u);
}

TEST_F(OperationsTest, MigrateDryRunChangesNothing) {
  populate(root(), kV0, 50);
  auto before = files_under(root());
  Store store(root());
  MigrateOptions opts;
  opts.dry_run = true;
  MigrateResult r = migrate(store, opts);
  EXPECT_EQ(r.moved, 50u);
  EXPECT_EQ(files_under(root()), before);
}

TEST_F(OperationsTest, MigrateBothMethodsResolveDuplicatesAndKeepUnrecognized) {
  for (auto method : {MigrateMethod::link_unlink, MigrateMethod::rename}) {
    fs::remove_all(root());
    populate(root(), kV0, 40);
    // A preferred copy already exists for hash 0: the V0 copy is a duplicate.
    test::write_file(root() / kV1.lookup(hash_of(0)), content_of(0));
    test::write_file(root() / "stray.txt", "x");
    Store store(root());
    MigrateOptions opts;
    opts.method = method;
    MigrateResult r = migrate(store, opts);
    EXPECT_EQ(r.moved, 39u);
    EXPECT_EQ(r.duplicates_removed, 1u);
    EXPECT_EQ(r.unrecognized, 1u);
    EXPECT_TRUE(fs::exists(root() / "stray.txt"));
    EXPECT_EQ(files_under(root()).size(), 41u);
  }
}

TEST_F(OperationsTest, MigrateReverseToV0) {
  populate(root(), kV1, 30);
  Store store(root(), StoreOptions{.layouts = {layout_by_name("v0"), layout_by_name("v1")}});
  EXPECT_EQ(migrate(store).moved, 30u);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(fs::exists(root() / kV0.lookup(hash_of(i))));
}

TEST_F(OperationsTest, MigrateOfMissingRootIsEmptyAndReadOnlyRefuses) {
  Store store(root());
  MigrateResult r = migrate(store);
  EXPECT_EQ(r.moved + r.already_in_place + r.failed, 0u);
  EXPECT_FALSE(fs::exists(root()));
  Store ro(root(), StoreOptions{.read_only = true});
  EXPECT_THROW(migrate(ro), ReadOnlyError);
}

TEST_F(OperationsTest, MigrateReportsProgress) {
  populate(root(), kV0, 100);
  Store store(root());
  MigrateOptions opts;
  opts.count_first = true;
  std::vector<Progress> seen;
  opts.progress = [&](const Progress& p) { seen.push_back(p); };
  migrate(store, opts);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, 100u);
  ASSERT_TRUE(seen.back().total.has_value());
  EXPECT_EQ(*seen.back().total, 100u);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done, seen[i - 1].done);
}

// Migration while 4 threads look up and insert: no lookup of a present hash returns absent.
TEST_F(OperationsTest, MigrateWhileThreadsLookUpAndInsert) {
  constexpr int kFiles = 3000;
  populate(root(), kV0, kFiles);
  Store store(root(), StoreOptions{.durability = Durability::none});
  std::atomic<bool> done{false};
  std::atomic<int> absent{0}, wrong{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t) {
    users.emplace_back([&, t] {
      std::mt19937 rng(t);
      int n = 0;
      while (!done.load() || n < 200) {
        ++n;
        if (t == 3) {
          // Inserts new hashes beside the migration.
          int i = kFiles + static_cast<int>(rng() % 500);
          fs::path src = tmp_ / ("src" + std::to_string(i));
          test::write_file(src, content_of(i));
          store.insert(hash_of(i), src);
          continue;
        }
        int i = static_cast<int>(rng() % kFiles);
        auto in = store.open(hash_of(i));
        if (!in) {
          ++absent;
        } else if (std::string((std::istreambuf_iterator<char>(*in)), {}) != content_of(i)) {
          ++wrong;
        }
      }
    });
  }
  MigrateResult r = migrate(store);
  done = true;
  for (auto& u : users) u.join();
  EXPECT_EQ(absent.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(r.failed, 0u);
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_EQ(test::read_file(root() / kV1.lookup(hash_of(i))), content_of(i));
    ASSERT_FALSE(fs::exists(root() / kV0.lookup(hash_of(i))));
  }
}

// SIGKILL at random instants during migrate; after each kill nothing is lost, and a re-run
// completes with every file exactly once in the target layout.
TEST_F(OperationsTest, MigrateSurvivesSigkillAtRandomInstants) {
  constexpr int kFiles = 1500;
  constexpr int kIterations = 50;
  populate(root(), kV0, kFiles);
  std::mt19937 rng(12345);
  int killed_mid_run = 0;
  for (int iter = 0; iter < kIterations; ++iter) {
    // Alternate the direction so every iteration has work to do.
    StoreOptions opts;
    opts.layouts = iter % 2 == 0 ? default_layouts()
                                 : std::vector<std::shared_ptr<const Layout>>{layout_by_name("v0"),
                                                                              layout_by_name("v1")};
    const Layout& target = *opts.layouts.front();
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store store(root(), opts);
      migrate(store);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(rng() % 60000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status);
    // Invariant after the crash: every hash is present with its content, somewhere.
    Store check(root(), StoreOptions{.read_only = true, .layouts = opts.layouts});
    for (int i = 0; i < kFiles; i += 7) {
      auto p = check.lookup(hash_of(i));
      ASSERT_TRUE(p) << "lost " << i << " in iteration " << iter;
      ASSERT_EQ(test::read_file(*p), content_of(i));
    }
    // The re-run completes.
    Store store(root(), opts);
    MigrateResult r = migrate(store);
    ASSERT_EQ(r.failed, 0u);
    // Files a killed run left with both names are counted once, as in place or duplicate,
    // depending on which name the walk meets first: the sum is exact up to those few.
    std::uint64_t counted = r.moved + r.already_in_place + r.duplicates_removed;
    ASSERT_GE(counted + 100, static_cast<unsigned>(kFiles));
    ASSERT_LE(counted, kFiles + 100u);
    auto files = files_under(root());
    ASSERT_EQ(files.size(), static_cast<std::size_t>(kFiles)) << "iteration " << iter;
    for (int i = 0; i < kFiles; i += 13) {
      ASSERT_EQ(test::read_file(root() / target.lookup(hash_of(i))), content_of(i));
    }
  }
  // A clean run afterwards counts exactly.
  Store store(root());
  MigrateResult last = migrate(store);
  EXPECT_EQ(last.moved, static_cast<unsigned>(kFiles));
  EXPECT_EQ(last.already_in_place + last.duplicates_removed + last.failed, 0u);
  // Make sure the kills actually interrupted some runs (else the test proves nothing).
  EXPECT_GT(killed_mid_run, 0);
}
TEST_F(OperationsTest, MigrateNeverDeletesAnOldCopyThatDiffersInSizeFromThePreferredOne) {
  // A crash under Durability::none can leave an empty preferred file: the good old copy must
  // not be deleted on the guess that the preferred one is right.
  populate(root(), kV0, 3);
  const std::string h = hash_of(1);
  test::write_file(root() / kV1.lookup(h), "");
  populate(root(), kV1, 1, 2);  // hash 2 also present under V1, same content: a duplicate
  Store store(root());
  MigrateResult r = migrate(store);
  EXPECT_EQ(r.moved, 1u);
  EXPECT_EQ(r.duplicates_removed, 1u);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("differs in size"), std::string::npos) << r.errors[0];
  EXPECT_EQ(test::read_file(root() / ".cas-quarantine" / h), content_of(1));
  EXPECT_FALSE(fs::exists(root() / kV0.lookup(h)));
}

}  // namespace
}  // namespace cas
