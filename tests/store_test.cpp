// Store behaviour, including every scenario of IPS's own FileManager test-suite
// (pkg5 src/tests/api/t_file_manager.py), ported, plus the IPS defects this library fixes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "cas/unique_fd.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

const V0Layout kV0;
const V1Layout kV1;

// 40-hex names as IPS used; kSibling shares kHashA's V0 directory (same first 8 characters).
const std::string kHashA = "584b6ab7d7eb446938a02e57101c3a2fecbfb3cb";
const std::string kSibling = "584b6ab7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kHashB = "11be1a0b5f9a0a6c9ad1a1b2c3d4e5f60718293a";
const std::string kHashC = "ffeeddccbbaa99887766554433221100ffeeddcc";

std::string slurp(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StoreTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "store"; }
  // Writes a file directly where `layout` puts `hash`, as an older cache would have.
  fs::path place(const Layout& layout, const std::string& hash, const std::string& content = "") {
    fs::path p = root() / layout.lookup(hash);
    test::write_file(p, content.empty() ? "content of " + hash : content);
    return p;
  }
  std::set<std::string> walk_all(Store& store) {
    std::set<std::string> seen;
    store.walk([&](const std::string& h) { EXPECT_TRUE(seen.insert(h).second) << h; });
    return seen;
  }
  test::TempDir tmp_;
};

TEST_F(StoreTest, ConstructorTouchesNothingAndRejectsEmptyRoot) {
  Store store(root());
  EXPECT_FALSE(fs::exists(root()));
  EXPECT_EQ(store.root(), root());
  EXPECT_THROW(Store(""), InvalidArgumentError);
  EXPECT_THROW(Store(root(), StoreOptions{.layouts = {}}), InvalidArgumentError);
  EXPECT_FALSE(store.lookup(kHashA).has_value());
  EXPECT_EQ(store.open(kHashA), nullptr);
  EXPECT_FALSE(fs::exists(root()));
}

// One catch clause handles every failure (errors.hpp), a bad argument too; and catching
// std::exception is not ambiguous for it.
TEST_F(StoreTest, AnInvalidArgumentIsACasErrorThatStdExceptionCatches) {
  EXPECT_THROW(Store(""), Error);
  EXPECT_THROW(layout_by_name("v9"), Error);
  EXPECT_THROW(parse_hash_algorithm("md5"), Error);
  try {
    Store store(root(), StoreOptions{.touch_on_use = std::chrono::seconds(-1)});
    ADD_FAILURE() << "a negative touch_on_use was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(dynamic_cast<const InvalidArgumentError*>(&e), nullptr);
    EXPECT_STREQ(e.what(), "cas::Store: negative touch_on_use");
  }
}

TEST_F(StoreTest, RelativeRootIsMadeAbsolute) {
  fs::path old = fs::current_path();
  fs::current_path(tmp_.path());
  Store store("store");
  fs::current_path(old);
  EXPECT_EQ(store.root(), root());
  // Every spelling of one directory gives the same root and the same paths.
  for (const std::string spelling : {"/", "//", "/.", "/./", "/../store/"}) {
    Store same(root().string() + spelling);
    EXPECT_EQ(same.root(), root()) << spelling;
    EXPECT_EQ(same.preferred_path(kHashA), root() / "58" / kHashA) << spelling;
  }
}

TEST_F(StoreTest, PreferredPathNeedsNoDisk) {
  Store store(root());
  EXPECT_EQ(store.preferred_path(kHashA), root() / "58" / kHashA);
  Store reversed(root(), StoreOptions{.layouts = {layout_by_name("v0"), layout_by_name("v1")}});
  EXPECT_EQ(reversed.preferred_path(kHashA), root() / "58/4b6ab7" / kHashA);
}

// open_fd finds the file as open does (migrating an old-layout copy on the way) and hands out
// an owned descriptor at the file's start, or nothing.
TEST_F(StoreTest, OpenFdGivesAnOwnedDescriptorOfTheFileWhereverItWasFound) {
  Store store(root());
  EXPECT_FALSE(store.open_fd(kHashA));
  place(kV0, kHashA, "under the old layout");
  std::string path;
  UniqueFd fd = store.open_fd(kHashA, &path);
  ASSERT_TRUE(fd);
  const fs::path preferred = root() / kV1.lookup(kHashA);
  EXPECT_EQ(path, preferred.string());
  EXPECT_FALSE(fs::exists(root() / kV0.lookup(kHashA)));
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  char buf[64];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  ASSERT_GE(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "under the old layout");
  // The fast path (the preferred copy) says where too.
  std::string again;
  ASSERT_TRUE(store.open_fd(kHashA, &again));
  EXPECT_EQ(again, preferred.string());
  // Owned: the descriptor is closed when the UniqueFd goes.
  const int raw = fd.get();
  fd = UniqueFd();
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

// IPS: read-only store — lookup and open work, nothing moves, insert/remove refused naming
// the operation and the hash.
TEST_F(StoreTest, ReadOnlyLooksUpWithoutMigratingAndRefusesChanges) {
  fs::path v0 = place(kV0, kHashA, "old");
  Store store(root(), StoreOptions{.read_only = true});
  EXPECT_TRUE(store.read_only());
  EXPECT_EQ(store.lookup(kHashA), v0);
  EXPECT_EQ(slurp(*store.open(kHashA)), "old");
  EXPECT_TRUE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(root() / kV1.lookup(kHashA)));

  test::write_file(tmp_ / "src", "new");
  try {
    store.insert(kHashB, tmp_ / "src");
    FAIL() << "insert on a read-only store";
  } catch (const ReadOnlyError& e) {
    EXPECT_EQ(e.operation(), "create");
    EXPECT_EQ(e.subject(), kHashB);
    EXPECT_NE(std::string(e.what()).find("create"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(kHashB), std::string::npos);
  }
  EXPECT_THROW(store.copy(kHashB, tmp_ / "src"), ReadOnlyError);
  try {
    store.put(tmp_ / "src");
    FAIL() << "put on a read-only store";
  } catch (const ReadOnlyError& e) {
    // Refused before any hash is known: the subject is the store (what cannot be written).
    EXPECT_EQ(e.operation(), "create");
    EXPECT_EQ(e.subject(), store.root().string());
    EXPECT_EQ(std::string(e.what()),
              "cannot create " + store.root().string() + ": the store is read-only");
  }
  try {
    store.remove(kHashA);
    FAIL() << "remove on a read-only store";
  } catch (const ReadOnlyError& e) {
    EXPECT_EQ(e.operation(), "remove");
    EXPECT_EQ(e.subject(), kHashA);
  }
  EXPECT_TRUE(fs::exists(v0));
  EXPECT_TRUE(fs::exists(tmp_ / "src"));
  EXPECT_FALSE(fs::exists(root() / "11"));
  EXPECT_FALSE(fs::exists(root() / std::string(Store::kTempDirName)));
}

TEST_F(StoreTest, SetReadOnlyTakesEffect) {
  Store store(root());
  store.set_read_only();
  EXPECT_TRUE(store.read_only());
  test::write_file(tmp_ / "src", "x");
  EXPECT_THROW(store.insert(kHashA, tmp_ / "src"), ReadOnlyError);
}

// IPS: migrate on lookup when the old directory holds only that file.
TEST_F(StoreTest, LookupMigratesV0FileAndPrunesEmptiedDirectories) {
  fs::path v0 = place(kV0, kHashA, "payload");
  Store store(root());
  auto found = store.lookup(kHashA);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(*found), "payload");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(v0.parent_path()));  // 58/4b6ab7 pruned
  EXPECT_TRUE(fs::exists(root() / "58"));      // now the V1 bucket
  EXPECT_TRUE(fs::exists(root()));
}

// IPS: migrate on lookup when a sibling remains in the old directory.
TEST_F(StoreTest, LookupMigratesButKeepsDirectoryWithSibling) {
  fs::path v0 = place(kV0, kHashA);
  fs::path sibling = place(kV0, kSibling);
  ASSERT_EQ(v0.parent_path(), sibling.parent_path());
  Store store(root());
  EXPECT_EQ(store.lookup(kHashA), root() / "58" / kHashA);
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_TRUE(fs::exists(sibling));
  EXPECT_EQ(store.lookup(kSibling), root() / "58" / kSibling);
  EXPECT_FALSE(fs::exists(v0.parent_path()));
}

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

TEST_F(StoreTest, OldV0DirectoryPrunedButSharedTopLevelKept) {
  fs::path v0 = place(kV0, kHashA);
  fs::path other = place(kV0, "58ffffff00000000000000000000000000000000");
  Store store(root());
  store.lookup(kHashA);
  EXPECT_FALSE(fs::exists(v0.parent_path()));
  EXPECT_TRUE(fs::exists(other));
}

// IPS: migrate through open.
TEST_F(StoreTest, OpenMigratesAndReads) {
  fs::path v0 = place(kV0, kHashA, "via open");
  Store store(root());
  auto in = store.open(kHashA);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(slurp(*in), "via open");
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_TRUE(fs::exists(root() / "58" / kHashA));
}

TEST_F(StoreTest, OpenedStreamSupportsBinaryAndSeeking) {
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>(i % 256);
  place(kV1, kHashA, data);
  Store store(root());
  auto in = store.open(kHashA);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(slurp(*in), data);
  in->clear();
  in->seekg(100000);
  char c = 0;
  in->read(&c, 1);
  EXPECT_EQ(c, data[100000]);
}

// open() sizes its buffer by the file (4 KiB to 64 KiB): every size around those bounds reads
// back whole, by byte iterators and by chunked reads.
TEST_F(StoreTest, OpenedStreamReadsEverySizeAroundItsBufferBounds) {
  Store store(root());
  for (std::size_t size : {0, 1, 100, 4095, 4096, 4097, 65535, 65536, 65537, 200001}) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + size) % 251);
    const std::string hash = std::string(63, '0') + std::to_string(size % 10);
    test::write_file(root() / kV1.lookup(hash), data);  // place() would fill an empty one
    auto in = store.open(hash);
    ASSERT_NE(in, nullptr) << size;
    EXPECT_EQ(slurp(*in), data) << size;
    in = store.open(hash);
    std::string chunked;
    char chunk[3000];
    while (in->read(chunk, sizeof chunk) || in->gcount() > 0) chunked.append(chunk, in->gcount());
    EXPECT_EQ(chunked, data) << size;
    store.remove(hash);
  }
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

// IPS: walk over everything, across layouts, each hash once.
TEST_F(StoreTest, WalkVisitsEveryHashOnceAcrossLayouts) {
  place(kV0, kHashA);
  place(kV1, kHashB);
  place(kV0, kHashC);
  place(kV1, kHashC);  // both copies: visited once
  Store store(root());
  EXPECT_EQ(walk_all(store), (std::set<std::string>{kHashA, kHashB, kHashC}));
}

// IPS: walk with only V1 configured visits the V1 hashes, then reports the V0 file.
TEST_F(StoreTest, WalkWithOnlyV1ReportsV0FileAsUnrecognized) {
  place(kV0, kHashA);
  place(kV1, kHashB);
  place(kV1, kHashC);
  Store store(root(), StoreOptions{.layouts = {layout_by_name("v1")}});
  std::set<std::string> seen;
  try {
    store.walk([&](const std::string& h) { seen.insert(h); });
    FAIL() << "walk did not report the V0 file";
  } catch (const UnrecognizedPathsError& e) {
    EXPECT_EQ(e.paths(), std::vector<std::string>{kV0.lookup(kHashA)});
  }
  EXPECT_EQ(seen, (std::set<std::string>{kHashB, kHashC}));
}

TEST_F(StoreTest, WalkReportsStrayFilesSortedAndSkipsTempArea) {
  place(kV1, kHashB);
  test::write_file(root() / "zz-notes.txt", "x");
  test::write_file(root() / "58" / "readme", "x");
  test::write_file(root() / "11" / kHashA, "x");  // right name, wrong bucket
  test::write_file(root() / std::string(Store::kTempDirName) / "tmp-1-2-3", "partial");
  fs::create_directories(root() / "ab" / "empty");
  Store store(root());
  std::set<std::string> seen;
  try {
    store.walk([&](const std::string& h) { seen.insert(h); });
    FAIL();
  } catch (const UnrecognizedPathsError& e) {
    EXPECT_EQ(e.paths(), (std::vector<std::string>{"11/" + kHashA, "58/readme", "zz-notes.txt"}));
  }
  EXPECT_EQ(seen, std::set<std::string>{kHashB});
}

TEST_F(StoreTest, WalkOfMissingRootVisitsNothing) {
  Store store(root());
  EXPECT_TRUE(walk_all(store).empty());
}

TEST_F(StoreTest, WalkVisitorMayMutateTheStore) {
  place(kV0, kHashA);
  place(kV0, kHashB);
  place(kV1, kHashC);
  Store store(root());
  store.walk([&](const std::string& h) {
    if (h == kHashC) {
      store.remove(h);
    } else {
      store.lookup(h);
    }
  });
  EXPECT_EQ(walk_all(store), (std::set<std::string>{kHashA, kHashB}));
  EXPECT_TRUE(fs::exists(root() / kV1.lookup(kHashA)));
}

// IPS: remove of both copies, with directory pruning.
TEST_F(StoreTest, RemoveDeletesEveryCopyAndPrunesUpToRoot) {
  fs::path v0 = place(kV0, kHashA);
  fs::path v1 = place(kV1, kHashA);
  Store store(root());
  store.remove(kHashA);
  EXPECT_FALSE(fs::exists(v0));
  EXPECT_FALSE(fs::exists(v1));
  EXPECT_FALSE(fs::exists(root() / "58"));
  // IPS's pruning climbed above the root: the root and its parent must stay.
  EXPECT_TRUE(fs::is_directory(root()));
  EXPECT_TRUE(fs::is_directory(tmp_.path()));
  EXPECT_NO_THROW(store.remove(kHashA));  // absent: no-op
}

TEST_F(StoreTest, RemoveKeepsDirectoriesWithOtherFiles) {
  place(kV1, kHashA);
  place(kV1, "58aaaaaa00000000000000000000000000000000");
  Store store(root());
  store.remove(kHashA);
  EXPECT_TRUE(fs::exists(root() / "58"));
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

// IPS: reverse migration with layouts {V0, V1}.
TEST_F(StoreTest, ReverseMigrationWithV0Preferred) {
  fs::path v1 = place(kV1, kHashA, "rev");
  Store store(root(), StoreOptions{.layouts = {layout_by_name("v0"), layout_by_name("v1")}});
  fs::path v0 = root() / kV0.lookup(kHashA);
  EXPECT_EQ(store.lookup(kHashA), v0);
  EXPECT_FALSE(fs::exists(v1));
  // "58" is now V0's first level, holding only "4b6ab7".
  std::vector<fs::path> in_bucket(fs::directory_iterator(root() / "58"), {});
  EXPECT_EQ(in_bucket, std::vector<fs::path>{root() / "58" / "4b6ab7"});
  EXPECT_EQ(test::read_file(v0), "rev");
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

TEST_F(StoreTest, LookupPrefersPreferredCopyAndLeavesOldOne) {
  place(kV1, kHashA, "v1 copy");
  fs::path v0 = place(kV0, kHashA, "v0 copy");
  Store store(root());
  EXPECT_EQ(store.lookup(kHashA), root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "v1 copy");
  EXPECT_TRUE(fs::exists(v0));
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

TEST_F(StoreTest, ShortHashesAreValidForV1ButNeverProbedInV0) {
  test::write_file(tmp_ / "f", "short");
  Store store(root());
  EXPECT_EQ(store.insert("abc", tmp_ / "f"), root() / "ab" / "abc");
  EXPECT_TRUE(store.lookup("abc"));
  store.remove("abc");
  EXPECT_FALSE(store.lookup("abc"));
  EXPECT_THROW(store.lookup("a"), InvalidHashError);
}

// Every operation rejects hostile hashes before touching the disk.
TEST_F(StoreTest, HostileHashesThrowFromEveryOperationAndWriteNothing) {
  test::write_file(tmp_ / "src", "x");
  Store store(root());
  const std::string hostile[] = {"..",
                                 "../x",
                                 "aa/../../x",
                                 "/etc/passwd",
                                 "ABCDEF0123",
                                 "",
                                 std::string("abcdef01\0/../x", 14),
                                 std::string(129, 'a'),
                                 "ab cd",
                                 "."};
  for (const auto& h : hostile) {
    EXPECT_THROW(store.lookup(h), InvalidHashError) << h;
    EXPECT_THROW(store.open(h), InvalidHashError) << h;
    EXPECT_THROW(store.preferred_path(h), InvalidHashError) << h;
    EXPECT_THROW(store.insert(h, tmp_ / "src"), InvalidHashError) << h;
    EXPECT_THROW(store.copy(h, tmp_ / "src"), InvalidHashError) << h;
    EXPECT_THROW(store.remove(h), InvalidHashError) << h;
  }
  EXPECT_TRUE(fs::exists(tmp_ / "src"));
  EXPECT_FALSE(fs::exists(root()));
  // Nothing appeared next to the store either.
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(tmp_.path())) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"src"});
}

// IPS only understood Solaris's EEXIST from rmdir: Linux says ENOTEMPTY, and pruning must
// treat both as "in use" — here, a non-empty V0 directory must survive a removal.
TEST_F(StoreTest, PruneTreatsNotEmptyAsInUse) {
  place(kV0, kHashA);
  test::write_file(root() / "58" / "4b6ab7" / "unrelated", "u");
  Store store(root());
  EXPECT_NO_THROW(store.remove(kHashA));
  EXPECT_TRUE(fs::exists(root() / "58" / "4b6ab7" / "unrelated"));
}

}  // namespace
}  // namespace cas
