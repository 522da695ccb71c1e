// Store::insert, copy and put (IPS's scenarios among them): what is published, what happens to
// the source and to old-layout copies, and the sources refused.
#include <sys/stat.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "store_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::StoreTest;

// An insert from elsewhere with a V0 copy present removes the copy and its emptied directory.
TEST_F(StoreTest, InsertRemovesTheV0CopyAndPrunesItsDirectory) {
  fs::path v0 = place(kV0, kHashA, "old");
  test::write_file(tmp_ / "src", "new");
  Store store(root());
  store.insert(kHashA, tmp_ / "src");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(v0.parent_path()));
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "new");
}

// IPS: insert from the file's own old-layout location.
TEST_F(StoreTest, InsertFromOwnOldLayoutLocation) {
  fs::path v0 = place(kV0, kHashA, "self");
  Store store(root());
  EXPECT_EQ(store.insert(kHashA, v0), root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "self");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(v0.parent_path()));
}

// IPS: insert of a temp file living inside root.
TEST_F(StoreTest, InsertTempFileFromInsideRoot) {
  fs::path temp = root() / "incoming" / "download.part";
  test::write_file(temp, "downloaded");
  Store store(root(), StoreOptions{.durability = Durability::none});
  EXPECT_EQ(store.insert(kHashA, temp), root() / "58" / kHashA);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "downloaded");
}

// IPS: insert replacing existing content.
TEST_F(StoreTest, InsertReplacesExistingContentAndRemovesOldCopies) {
  place(kV1, kHashA, "old v1");
  fs::path v0 = place(kV0, kHashA, "old v0");
  test::write_file(tmp_ / "new", "new content");
  Store store(root());
  EXPECT_EQ(store.insert(kHashA, tmp_ / "new"), root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "new content");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(v0.parent_path()));
  EXPECT_FALSE(fs::exists(tmp_ / "new"));
}

TEST_F(StoreTest, InsertCreatesRootAndReturnsPreferredPath) {
  test::write_file(tmp_ / "f", "data");
  Store store(tmp_ / "a" / "b" / "store");
  fs::path p = store.insert(kHashB, tmp_ / "f");
  EXPECT_EQ(p, tmp_ / "a/b/store/11" / kHashB);
  EXPECT_EQ(test::read_file(p), "data");
}

TEST_F(StoreTest, InsertOfVanishedSourceThrowsAndLeavesNothing) {
  Store store(root());
  try {
    store.insert(kHashA, tmp_ / "no-such-file");
    FAIL();
  } catch (const InsertionError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-file"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(root() / "58"));
  EXPECT_THROW(store.copy(kHashA, tmp_ / "no-such-file"), InsertionError);
  EXPECT_THROW(store.put(tmp_ / "no-such-file"), InsertionError);
  EXPECT_FALSE(fs::exists(root() / "58"));
  if (fs::exists(root() / std::string(Store::kTempDirName))) {
    EXPECT_TRUE(fs::is_empty(root() / std::string(Store::kTempDirName)));
  }
}

TEST_F(StoreTest, InsertRejectsDirectoriesAndSymlinks) {
  Store store(root());
  fs::create_directories(tmp_ / "dir");
  EXPECT_THROW(store.insert(kHashA, tmp_ / "dir"), InsertionError);
  test::write_file(tmp_ / "target", "t");
  fs::create_symlink(tmp_ / "target", tmp_ / "link");
  EXPECT_THROW(store.insert(kHashA, tmp_ / "link"), InsertionError);
  EXPECT_TRUE(fs::exists(tmp_ / "target"));
  EXPECT_FALSE(store.lookup(kHashA));
}

// IPS's copy consumed src when an old copy existed: copy must never touch src.
TEST_F(StoreTest, CopyNeverTouchesSourceEvenWhenItIsTheOldCopy) {
  fs::path v0 = place(kV0, kHashA, "keep me");
  Store store(root());
  EXPECT_EQ(store.copy(kHashA, v0), root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(v0), "keep me");
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "keep me");

  test::write_file(tmp_ / "outside", "outside");
  store.copy(kHashB, tmp_ / "outside");
  EXPECT_EQ(test::read_file(tmp_ / "outside"), "outside");
  EXPECT_EQ(test::read_file(root() / "11" / kHashB), "outside");
}

TEST_F(StoreTest, CopyRemovesOtherOldCopies) {
  fs::path v0 = place(kV0, kHashA, "stale");
  test::write_file(tmp_ / "src", "fresh");
  Store store(root());
  store.copy(kHashA, tmp_ / "src");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "fresh");
}

TEST_F(StoreTest, PutHashesPublishesAndLeavesSource) {
  test::write_file(tmp_ / "src", "abc");
  Store store(root());
  EXPECT_EQ(store.put(tmp_ / "src"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(test::read_file(store.preferred_path(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")),
            "abc");
  EXPECT_EQ(test::read_file(tmp_ / "src"), "abc");
  EXPECT_EQ(store.put(tmp_ / "src", HashAlgorithm::sha1),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_TRUE(store.lookup("a9993e364706816aba3e25717850c26c9cd0d89d"));
  // Nothing left in the temp area.
  EXPECT_TRUE(fs::is_empty(root() / std::string(Store::kTempDirName)));
  std::set<std::string> hashes;
  store.walk([&](const std::string& h) { hashes.insert(h); });
  EXPECT_EQ(hashes.size(), 2u);
}

TEST_F(StoreTest, PutAndCopyRefuseAFifoWithoutWaitingForAWriter) {
  ASSERT_EQ(::mkfifo((tmp_ / "fifo").c_str(), 0644), 0);
  Store store(root());
  EXPECT_THROW(store.put(tmp_ / "fifo"), InsertionError);
  EXPECT_THROW(store.copy(kHashA, tmp_ / "fifo"), InsertionError);
  EXPECT_THROW(store.insert(kHashA, tmp_ / "fifo"), InsertionError);
  EXPECT_FALSE(store.lookup(kHashA));
}

TEST_F(StoreTest, PutNeverTouchesSourceEvenWhenItIsTheOldCopy) {
  const std::string h = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  fs::path v0 = place(kV0, h, "abc");
  Store store(root());
  EXPECT_EQ(store.put(v0), h);
  EXPECT_EQ(test::read_file(v0), "abc");
  EXPECT_EQ(test::read_file(store.preferred_path(h)), "abc");
}

TEST_F(StoreTest, DurabilityModesAllPublish) {
  for (auto d : {Durability::none, Durability::file, Durability::full}) {
    test::write_file(tmp_ / "src", "durable");
    Store store(root(), StoreOptions{.durability = d});
    std::string h = store.put(tmp_ / "src");
    EXPECT_EQ(test::read_file(*store.lookup(h)), "durable");
    EXPECT_EQ(store.insert(kHashA, tmp_ / "src"), root() / "58" / kHashA);
    store.remove(kHashA);
    store.remove(h);
  }
}

}  // namespace
}  // namespace cas
