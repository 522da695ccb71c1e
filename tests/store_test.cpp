// Store behaviour, including every scenario of IPS's own FileManager test-suite
// (pkg5 src/tests/api/t_file_manager.py), ported, plus the IPS defects this library fixes:
// roots, lookup and open (migrating old-layout copies), read-only stores, remove, hostile
// hashes. insert, copy and put: store_insert_test.cpp; walk: store_walk_test.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "cas/unique_fd.hpp"
#include "store_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::StoreTest;

std::string slurp(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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

TEST_F(StoreTest, LookupPrefersPreferredCopyAndLeavesOldOne) {
  place(kV1, kHashA, "v1 copy");
  fs::path v0 = place(kV0, kHashA, "v0 copy");
  Store store(root());
  EXPECT_EQ(store.lookup(kHashA), root() / "58" / kHashA);
  EXPECT_EQ(test::read_file(root() / "58" / kHashA), "v1 copy");
  EXPECT_TRUE(fs::exists(v0));
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
