// Store-wide operations: migrate, purge, gc, sync, verify, stats.
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "ops/stats_merge.hpp"
#include "store/quarantine.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

const V0Layout kV0;
const V1Layout kV1;

std::string content_of(int i) { return "file number " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

// Writes files 0..n-1 where `layout` places them, named by their real sha256.
void populate(const fs::path& root, const Layout& layout, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    test::write_file(root / layout.lookup(hash_of(i)), content_of(i));
  }
}

// Relative paths of every non-directory under root, sorted.
std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> out;
  if (!fs::exists(root)) return out;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (!fs::is_directory(it->symlink_status())) {
      out.push_back(it->path().lexically_relative(root).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t directories_under(const fs::path& root) {
  std::size_t n = 0;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    n += fs::is_directory(it->symlink_status());
  }
  return n;
}

class OperationsTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "store"; }
  test::TempDir tmp_;
};

// Every result keeps its errors the same way: each failure counted, the first kMaxErrors
// messages kept in order, a merge of two parts as if they had been one run.
TEST(OperationErrorsTest, CountsEveryFailureAndKeepsTheFirstKMaxErrorsMessages) {
  const std::size_t n = OperationErrors::kMaxErrors + 3;
  OperationErrors first, second;
  for (std::size_t i = 0; i < n; ++i) first.add("a" + std::to_string(i));
  EXPECT_EQ(first.failed, n);
  ASSERT_EQ(first.errors.size(), OperationErrors::kMaxErrors);
  EXPECT_EQ(first.errors.front(), "a0");
  EXPECT_EQ(first.errors.back(), "a" + std::to_string(OperationErrors::kMaxErrors - 1));
  second.add("b0");
  second.merge(first);
  EXPECT_EQ(second.failed, n + 1);
  ASSERT_EQ(second.errors.size(), OperationErrors::kMaxErrors);
  EXPECT_EQ(second.errors[0], "b0");
  EXPECT_EQ(second.errors[1], "a0");
  // A message kept without a failure counted (pull's misses) is capped the same way.
  keep_error(second.errors, "not kept");
  EXPECT_EQ(second.errors.size(), OperationErrors::kMaxErrors);
  EXPECT_EQ(second.failed, n + 1);
}

// stats' errors are its own, as every other result's: merged parts add their failures.
TEST(OperationErrorsTest, MergedStatsAddTheirFailuresAndKeepTheirMessages) {
  StoreStats into, part;
  into.add("one");
  part.add("two");
  part.add("three");
  detail::merge_stats(into, part);
  EXPECT_EQ(into.failed, 3u);
  EXPECT_EQ(into.errors, (std::vector<std::string>{"one", "two", "three"}));
}

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

TEST_F(OperationsTest, PurgeRemovesContentButKeepsRootTempAreaAndUnrecognizedFiles) {
  populate(root(), kV0, 100);
  populate(root(), kV1, 100, 500);
  test::write_file(root() / "stray" / "deep" / "file", "x");
  test::write_file(root() / "58" / "notes.txt", "mine");  // beside content: its bucket stays
  test::write_file(root() / ".cas-tmp" / "tmp-in-progress", "writer");
  Store store(root());
  PurgeResult r = purge(store);
  EXPECT_EQ(r.files_removed, 200u);
  EXPECT_EQ(r.unrecognized, 2u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_TRUE(fs::is_directory(root()));
  EXPECT_EQ(files_under(root()), (std::vector<std::string>{".cas-tmp/tmp-in-progress",
                                                           "58/notes.txt", "stray/deep/file"}));
  EXPECT_EQ(directories_under(root()), 4u);  // .cas-tmp, 58, stray, stray/deep
}

TEST_F(OperationsTest, PurgeWithRemoveUnrecognizedRemovesEverythingButRootAndTempArea) {
  populate(root(), kV0, 100);
  populate(root(), kV1, 100, 500);
  test::write_file(root() / "stray" / "deep" / "file", "x");
  test::write_file(root() / ".cas-tmp" / "tmp-in-progress", "writer");
  Store store(root());
  PurgeOptions everything;
  everything.remove_unrecognized = true;
  PurgeResult r = purge(store, everything);
  EXPECT_EQ(r.files_removed, 201u);
  EXPECT_EQ(r.unrecognized, 0u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(files_under(root()), std::vector<std::string>{".cas-tmp/tmp-in-progress"});
  EXPECT_EQ(directories_under(root()), 1u);  // .cas-tmp
}

TEST_F(OperationsTest, PurgeOfADirectoryThatIsNotAStoreLeavesEveryFile) {
  // A mistyped root (a home directory, a project): nothing there is named by its hash.
  test::write_file(root() / "a.txt", "a");
  test::write_file(root() / "sub" / "b.txt", "b");
  test::write_file(root() / "ab" / "cd", "looks like a bucket, is not content");
  fs::create_directories(root() / "empty-dir");
  Store store(root());
  PurgeResult r = purge(store);
  EXPECT_EQ(r.files_removed, 0u);
  EXPECT_EQ(r.unrecognized, 3u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(files_under(root()), (std::vector<std::string>{"a.txt", "ab/cd", "sub/b.txt"}));
  EXPECT_EQ(test::read_file(root() / "sub" / "b.txt"), "b");
}

TEST_F(OperationsTest, PurgeNeverFollowsSymlinkOutOfRoot) {
  populate(root(), kV1, 10);
  test::write_file(tmp_ / "outside" / "precious", "keep");
  fs::create_directories(root() / "ab");
  fs::create_symlink(tmp_ / "outside", root() / "ab" / "link-to-outside");
  fs::create_symlink(tmp_ / "outside" / "precious", root() / "file-link");
  Store store(root());
  PurgeOptions everything;  // the symlinks are unrecognized: only --all removes them
  everything.remove_unrecognized = true;
  PurgeResult r = purge(store, everything);
  EXPECT_EQ(r.files_removed, 12u);
  EXPECT_EQ(test::read_file(tmp_ / "outside" / "precious"), "keep");
  EXPECT_TRUE(files_under(root()).empty());
}

TEST_F(OperationsTest, PurgeDoesNotCrossAMountPointInsideRoot) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  populate(root(), kV1, 10);
  fs::path mnt = root() / "mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m"), 0);
  test::write_file(mnt / "on-other-fs", "keep");
  Store store(root());
  PurgeResult r = purge(store);
  bool kept = fs::exists(mnt / "on-other-fs");
  ::umount(mnt.c_str());
  EXPECT_TRUE(kept);
  EXPECT_EQ(r.files_removed, 10u);
}

TEST_F(OperationsTest, PurgeDoesNotCrossABindMountOfTheSameFilesystemInsideRoot) {
  if (!test::is_root()) GTEST_SKIP() << "needs root for a bind mount";
  populate(root(), kV1, 10);
  test::write_file(tmp_ / "outside" / "precious", "keep");
  fs::path mnt = root() / "mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount((tmp_ / "outside").c_str(), mnt.c_str(), nullptr, MS_BIND, nullptr), 0);
  Store store(root());
  PurgeResult r = purge(store);
  ::umount2(mnt.c_str(), MNT_DETACH);
  EXPECT_EQ(test::read_file(tmp_ / "outside" / "precious"), "keep");
  EXPECT_EQ(r.files_removed, 10u);
}

TEST_F(OperationsTest, PurgeSurvivesSigkillAndRerunCompletes) {
  test::write_file(tmp_ / "outside", "keep");
  std::mt19937 rng(99);
  int killed_mid_run = 0;
  for (int iter = 0; iter < 50; ++iter) {
    populate(root(), iter % 2 ? static_cast<const Layout&>(kV0) : kV1, 300);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store store(root());
      purge(store);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(rng() % 15000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status);
    // Whatever survived is intact.
    for (const auto& rel : files_under(root())) {
      std::string name = fs::path(rel).filename().string();
      ASSERT_EQ(hash_bytes(test::read_file(root() / rel), HashAlgorithm::sha256), name);
    }
    Store store(root());
    ASSERT_EQ(purge(store).failed, 0u);
    ASSERT_TRUE(files_under(root()).empty());
    ASSERT_TRUE(fs::is_directory(root()));
  }
  EXPECT_EQ(test::read_file(tmp_ / "outside"), "keep");
  EXPECT_GT(killed_mid_run, 0);
}

TEST_F(OperationsTest, GcKeepsOnlyTheManifest) {
  populate(root(), kV0, 30);
  populate(root(), kV1, 30, 100);
  test::write_file(root() / "notes", "x");
  std::unordered_set<std::string> keep;
  for (int i = 0; i < 30; i += 3) keep.insert(hash_of(i));
  for (int i = 100; i < 130; i += 2) keep.insert(hash_of(i));
  Store store(root());
  GcResult r = gc(store, keep);
  EXPECT_EQ(r.kept, 10u + 15u);
  EXPECT_EQ(r.removed, 20u + 15u);
  EXPECT_EQ(r.unrecognized, 1u);
  std::set<std::string> left;
  try {
    store.walk([&](const std::string& h) { left.insert(h); });
  } catch (const UnrecognizedPathsError&) {
  }
  EXPECT_EQ(left, std::set<std::string>(keep.begin(), keep.end()));
  // Emptied V0 directories went away.
  for (int i = 1; i < 30; i += 3) {
    EXPECT_FALSE(fs::exists((root() / kV0.lookup(hash_of(i))).parent_path()));
  }
}

TEST_F(OperationsTest, SyncLinksMissingFilesAndDeletesExtras) {
  fs::path mirror = tmp_ / "mirror";
  populate(mirror, kV0, 20);
  populate(mirror, kV1, 20, 100);
  populate(root(), kV1, 5);       // already present
  populate(root(), kV1, 3, 500);  // extras
  Store source(mirror, StoreOptions{.read_only = true});
  Store store(root());
  SyncResult r = sync(store, source);
  EXPECT_EQ(r.linked, 35u);
  EXPECT_EQ(r.already_present, 5u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.deleted, 0u);
  for (int i : {0, 19, 100, 119}) {
    EXPECT_EQ(test::read_file(root() / kV1.lookup(hash_of(i))), content_of(i));
  }
  EXPECT_TRUE(fs::exists(root() / kV1.lookup(hash_of(500))));
  SyncOptions del;
  del.delete_extras = true;
  SyncResult r2 = sync(store, source, del);
  EXPECT_EQ(r2.linked + r2.copied, 0u);
  EXPECT_EQ(r2.deleted, 3u);
  EXPECT_FALSE(fs::exists(root() / kV1.lookup(hash_of(500))));
  EXPECT_EQ(files_under(root()).size(), 40u);
  // The source is untouched.
  EXPECT_EQ(files_under(mirror).size(), 40u);
}

TEST_F(OperationsTest, SyncFromAMissingSourceThrowsAndDeletesNothing) {
  // An unmounted or mistyped mirror is not an empty one: with delete_extras it would empty
  // the destination.
  populate(root(), kV1, 5);
  Store source(tmp_ / "no-such-mirror", StoreOptions{.read_only = true});
  Store store(root());
  SyncOptions del;
  del.delete_extras = true;
  EXPECT_THROW(sync(store, source, del), IoError);
  EXPECT_EQ(files_under(root()).size(), 5u);
}

TEST_F(OperationsTest, SyncAcrossFilesystemsCopies) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  fs::path mnt = tmp_ / "other-fs";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m"), 0);
  populate(root(), kV1, 10);
  SyncResult r;
  {
    Store source(root(), StoreOptions{.read_only = true});
    Store dest(mnt / "store");
    r = sync(dest, source);
  }
  std::size_t n = files_under(mnt / "store").size();
  std::string c = test::read_file(mnt / "store" / kV1.lookup(hash_of(3)));
  ::umount(mnt.c_str());
  EXPECT_EQ(r.copied, 10u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(c, content_of(3));
}

TEST_F(OperationsTest, VerifyCatchesFlippedByteAndQuarantines) {
  populate(root(), kV1, 40);
  populate(root(), kV0, 5, 100);
  // sha1-named and oddly-named files: algorithm follows the length.
  std::string sha1 = hash_bytes("sha1 content", HashAlgorithm::sha1);
  test::write_file(root() / kV1.lookup(sha1), "sha1 content");
  test::write_file(root() / kV1.lookup("abcdef"), "unknown length");
  fs::path victim = root() / kV1.lookup(hash_of(7));
  std::string bytes = test::read_file(victim);
  bytes[3] ^= 1;
  test::write_file(victim, bytes);
  Store store(root());
  VerifyResult r = verify(store);
  EXPECT_EQ(r.ok, 45u);
  EXPECT_EQ(r.corrupt, 1u);
  EXPECT_EQ(r.unknown_algorithm, 1u);
  EXPECT_EQ(r.corrupt_paths, std::vector<std::string>{kV1.lookup(hash_of(7))});
  EXPECT_TRUE(fs::exists(victim));  // not moved without quarantine

  VerifyOptions q;
  q.quarantine = true;
  VerifyResult rq = verify(store, q);
  EXPECT_EQ(rq.quarantined, 1u);
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_EQ(test::read_file(root() / ".cas-quarantine" / hash_of(7)), bytes);
  EXPECT_FALSE(store.lookup(hash_of(7)));
  EXPECT_EQ(verify(store).corrupt, 0u);
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

TEST_F(OperationsTest, VerifyWithAnAlgorithmLeavesOtherDigestLengthsAlone) {
  populate(root(), kV1, 5);  // sha256 names
  std::string sha1 = hash_bytes("sha1 content", HashAlgorithm::sha1);
  test::write_file(root() / kV1.lookup(sha1), "sha1 content");
  Store store(root());
  VerifyOptions o;
  o.algorithm = HashAlgorithm::sha256;
  o.quarantine = true;
  VerifyResult r = verify(store, o);
  EXPECT_EQ(r.ok, 5u);
  EXPECT_EQ(r.corrupt, 0u);
  EXPECT_EQ(r.unknown_algorithm, 1u);
  EXPECT_TRUE(fs::exists(root() / kV1.lookup(sha1)));
}

TEST_F(OperationsTest, QuarantineNeverMovesAFileThatReplacedTheCheckedOne) {
  // verify hashes through a descriptor but quarantines by name: a writer may publish a good
  // copy under that name in between. The good copy must stay where it is.
  const std::string h = hash_of(1);
  fs::path path = root() / kV1.lookup(h);
  test::write_file(path, "corrupt");
  struct stat checked;
  ASSERT_EQ(::stat(path.c_str(), &checked), 0);
  test::write_file(tmp_ / "good", content_of(1));
  fs::rename(tmp_ / "good", path);  // the repair, after the check
  int err = detail::quarantine_file(AT_FDCWD, path.string(), AT_FDCWD,
                                    (root() / ".cas-quarantine").string(), h, checked);
  EXPECT_EQ(err, detail::kReplacedMeanwhile);
  EXPECT_EQ(test::read_file(path), content_of(1));
  EXPECT_TRUE(fs::is_empty(root() / ".cas-quarantine"));
  // The file that was checked is quarantined as before.
  ASSERT_EQ(::stat(path.c_str(), &checked), 0);
  EXPECT_EQ(detail::quarantine_file(AT_FDCWD, path.string(), AT_FDCWD,
                                    (root() / ".cas-quarantine").string(), h, checked),
            0);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(test::read_file(root() / ".cas-quarantine" / h), content_of(1));
}

TEST_F(OperationsTest, VerifyReapsOnlyStaleTempFiles) {
  populate(root(), kV1, 3);
  test::write_file(root() / ".cas-tmp" / "tmp-old", "crashed writer");
  test::write_file(root() / ".cas-tmp" / "tmp-new", "active writer");
  fs::last_write_time(root() / ".cas-tmp" / "tmp-old", std::time(nullptr) - 7200);
  Store store(root());
  VerifyResult r = verify(store);
  EXPECT_EQ(r.temp_reaped, 1u);
  EXPECT_FALSE(fs::exists(root() / ".cas-tmp" / "tmp-old"));
  EXPECT_TRUE(fs::exists(root() / ".cas-tmp" / "tmp-new"));
  EXPECT_EQ(r.ok, 3u);
}

TEST_F(OperationsTest, StatsCountsPerLayoutUnrecognizedAndEmptyDirectories) {
  populate(root(), kV0, 10);
  populate(root(), kV1, 7, 100);
  test::write_file(root() / kV0.lookup(hash_of(100)), content_of(100));  // both layouts
  test::write_file(root() / "stray", "12345");
  fs::create_directories(root() / "ab" / "empty1");
  fs::create_directories(root() / "empty2");
  test::write_file(root() / ".cas-tmp" / "t", "x");
  Store store(root());
  StoreStats s = stats(store);
  EXPECT_EQ(s.layouts["v0"].files, 11u);
  EXPECT_EQ(s.layouts["v1"].files, 7u);
  EXPECT_EQ(s.layouts["v1"].bytes, 7 * content_of(100).size());
  EXPECT_EQ(s.hashes, 17u);
  EXPECT_EQ(s.unrecognized_files, 1u);
  EXPECT_EQ(s.unrecognized_bytes, 5u);
  EXPECT_EQ(s.empty_directories, 2u);
  EXPECT_EQ(s.temp_files, 1u);
}

TEST_F(OperationsTest, StatsCountsAHashOnceWhenOnlyOldLayoutsHoldIt) {
  // Three layouts: a hash under the second and the third, none under the preferred.
  auto fanout = layout_by_name("fanout:2,2");
  populate(root(), kV1, 3);
  populate(root(), kV0, 3);
  Store store(root(),
              StoreOptions{.layouts = {fanout, layout_by_name("v1"), layout_by_name("v0")}});
  StoreStats s = stats(store);
  EXPECT_EQ(s.layouts["v1"].files, 3u);
  EXPECT_EQ(s.layouts["v0"].files, 3u);
  EXPECT_EQ(s.hashes, 3u);
}

}  // namespace
}  // namespace cas
