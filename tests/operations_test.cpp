// Store-wide operations: the errors every result keeps, sync, verify (and its quarantine),
// stats. migrate: migrate_test.cpp; purge and gc: purge_gc_test.cpp.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "operations_fixture.hpp"
#include "ops/stats_merge.hpp"
#include "store/quarantine.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::OperationsTest;

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
