// Store::open's touch on use (StoreOptions::touch_on_use): opening a file is a use, so a stale
// file's mtime becomes now and trim, which orders by mtime, keeps it over files nobody opened.
// open's fast path (a file under the preferred layout: open + fstat, no lookup) and its slow
// path (lookup, migrating a V0 copy) both mark the use; a fresh file, a store with touching off
// and a read-only store are never written to.
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "cas/file_system.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr std::time_t kDay = 86400;

std::string content_of(int i) { return "opened file " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

std::time_t mtime_of(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtime;
}

std::string read_stream(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Counts the touches the store asks of its file system, and can refuse them.
class CountingFileSystem : public FileSystemWrapper {
 public:
  CountingFileSystem() : FileSystemWrapper(FileSystem::posix()) {}
  int touch(const char* path) override {
    ++touches;
    return refuse ? refuse : FileSystemWrapper::touch(path);
  }
  std::atomic<int> touches{0};
  int refuse = 0;  // an errno to answer every touch with instead, or 0
};

class TouchOnUseTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "cache"; }
  fs::path v1_path(int i) const { return root() / V1Layout().lookup(hash_of(i)); }
  fs::path v0_path(int i) const { return root() / V0Layout().lookup(hash_of(i)); }

  // File i under `path`, last used `age` seconds ago.
  void put(const fs::path& path, int i, std::time_t age) {
    test::write_file(path, content_of(i));
    test::set_mtime(path, now_ - age);
  }

  const std::time_t now_ = std::time(nullptr);
  test::TempDir tmp_;
};

TEST_F(TouchOnUseTest, OpenOfAStaleFileSetsItsMtimeToNow) {
  put(v1_path(0), 0, kDay);
  Store store(root());
  auto in = store.open(hash_of(0));
  ASSERT_TRUE(in);
  EXPECT_EQ(read_stream(*in), content_of(0));
  EXPECT_GE(mtime_of(v1_path(0)), now_);
}

TEST_F(TouchOnUseTest, OpenFdOfAStaleFileSetsItsMtimeToNowOnBothPaths) {
  put(v1_path(0), 0, kDay);  // the fast path
  put(v0_path(1), 1, kDay);  // the lookup, migrating
  Store store(root());
  ASSERT_TRUE(store.open_fd(hash_of(0)));
  ASSERT_TRUE(store.open_fd(hash_of(1)));
  EXPECT_GE(mtime_of(v1_path(0)), now_);
  EXPECT_GE(mtime_of(v1_path(1)), now_);
}

TEST_F(TouchOnUseTest, OpenTouchesAStaleFileOnceAndAFreshOneNever) {
  put(v1_path(0), 0, 2 * 3600);  // older than the default touch_on_use, one hour
  put(v1_path(1), 1, 60);        // younger
  const std::time_t fresh = mtime_of(v1_path(1));
  auto counting = std::make_shared<CountingFileSystem>();
  StoreOptions o;
  o.file_system = counting;
  Store store(root(), o);
  ASSERT_TRUE(store.open(hash_of(0)));
  EXPECT_EQ(counting->touches.load(), 1);
  ASSERT_TRUE(store.open(hash_of(0)));  // fresh now: nothing more to write
  ASSERT_TRUE(store.open(hash_of(1)));
  EXPECT_EQ(counting->touches.load(), 1);
  EXPECT_EQ(mtime_of(v1_path(1)), fresh);
}

TEST_F(TouchOnUseTest, OpenOfAStaleV0FileMigratesItAndSetsItsMtimeToNow) {
  put(v0_path(0), 0, kDay);
  Store store(root());
  auto in = store.open(hash_of(0));
  ASSERT_TRUE(in);
  EXPECT_EQ(read_stream(*in), content_of(0));
  EXPECT_FALSE(fs::exists(v0_path(0)));
  EXPECT_GE(mtime_of(v1_path(0)), now_);
}

TEST_F(TouchOnUseTest, OpenWithTouchOnUseZeroNeverTouches) {
  put(v1_path(0), 0, kDay);
  put(v0_path(1), 1, kDay);
  auto counting = std::make_shared<CountingFileSystem>();
  StoreOptions o;
  o.touch_on_use = std::chrono::seconds(0);
  o.file_system = counting;
  Store store(root(), o);
  ASSERT_TRUE(store.open(hash_of(0)));
  ASSERT_TRUE(store.open(hash_of(1)));  // migrated, not touched
  EXPECT_EQ(counting->touches.load(), 0);
  EXPECT_EQ(mtime_of(v1_path(0)), now_ - kDay);
  EXPECT_EQ(mtime_of(v1_path(1)), now_ - kDay);
}

TEST_F(TouchOnUseTest, OpenOnAReadOnlyStoreNeverTouches) {
  put(v1_path(0), 0, kDay);
  put(v0_path(1), 1, kDay);
  auto counting = std::make_shared<CountingFileSystem>();
  StoreOptions o;
  o.read_only = true;
  o.file_system = counting;
  Store store(root(), o);
  ASSERT_TRUE(store.open(hash_of(0)));
  ASSERT_TRUE(store.open(hash_of(1)));
  EXPECT_EQ(counting->touches.load(), 0);
  EXPECT_EQ(mtime_of(v1_path(0)), now_ - kDay);
  EXPECT_EQ(mtime_of(v0_path(1)), now_ - kDay);
}

// A reader that may not write (EACCES, EPERM, EROFS) still reads.
TEST_F(TouchOnUseTest, OpenStillServesAFileWhoseTouchIsRefused) {
  put(v1_path(0), 0, kDay);
  for (int refusal : {EACCES, EPERM, EROFS}) {
    auto counting = std::make_shared<CountingFileSystem>();
    counting->refuse = refusal;
    StoreOptions o;
    o.file_system = counting;
    Store store(root(), o);
    auto in = store.open(hash_of(0));
    ASSERT_TRUE(in) << refusal;
    EXPECT_EQ(read_stream(*in), content_of(0));
    EXPECT_EQ(counting->touches.load(), 1);
  }
}

// What the touch is for: of files last used alike, a trim keeps the ones opened since.
TEST_F(TouchOnUseTest, FilesOpenedSinceTheirLastUseOutliveTheirPeersInATrim) {
  for (int i = 0; i < 10; ++i) put(v1_path(i), i, (20 - i) * kDay);  // 0 is the oldest
  Store store(root());
  for (int i : {0, 1, 2}) ASSERT_TRUE(store.open(hash_of(i)));
  TrimOptions options;
  options.max_files = 5;
  options.low_water = 0.6;  // down to 3 files: the three just opened
  TrimResult r = trim(store, options);
  EXPECT_EQ(r.removed_files, 7u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(fs::exists(v1_path(i)), i < 3) << i;
}

}  // namespace
}  // namespace cas
