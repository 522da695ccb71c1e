// cas::checkout and cas::checkout_tree on the disk's own filesystem (ext4 here, which cannot
// clone): each mode's effect, the stored file made read-only by a hard link, auto's fallback to
// a hard link and what it reports, reflink refused rather than copied, executable bits, EMLINK
// forced through the FileSystem seam, hostile paths, what is already there, a missing hash, and
// a checkout killed half-way.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/checkout.hpp"
#include "cas/errors.hpp"
#include "checkout_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::put_content, test::read_file, test::same_inode, test::TempDir, test::lstat_of;

class CheckoutTest : public ::testing::Test {
 protected:
  explicit CheckoutTest(StoreOptions options = {}) : store_(dir_ / "store", std::move(options)) {}
  std::string put(const std::string& content) { return put_content(store_, dir_.path(), content); }
  fs::path stored(const std::string& hash) { return *store_.lookup_local(hash); }
  // Skips (true) unless the scratch directory is on ext4, which has no reflinks.
  bool not_ext4() const { return !test::on_filesystem(dir_.path(), EXT4_SUPER_MAGIC); }

  TempDir dir_;
  Store store_;
};

TEST_F(CheckoutTest, HardlinkIsTheStoredInodeMadeReadOnly) {
  const std::string h = put("linked\n");
  ASSERT_NE(lstat_of(stored(h)).st_mode & 0200, 0u) << "the store made it writable";
  EXPECT_EQ(checkout(store_, h, dir_ / "out/f", LinkMode::hardlink), CheckoutAction::hardlinked);
  EXPECT_TRUE(same_inode(dir_ / "out/f", stored(h)));
  EXPECT_EQ(lstat_of(stored(h)).st_mode & 0222, 0u) << "a writer in the tree would edit the cache";
  EXPECT_EQ(read_file(dir_ / "out/f"), "linked\n");
}

TEST_F(CheckoutTest, CopyIsADistinctInodeWithTheContent) {
  const std::string h = put("copied\n");
  EXPECT_EQ(checkout(store_, h, dir_ / "f", LinkMode::copy), CheckoutAction::copied);
  EXPECT_FALSE(same_inode(dir_ / "f", stored(h)));
  EXPECT_EQ(read_file(dir_ / "f"), "copied\n");
  EXPECT_NE(lstat_of(stored(h)).st_mode & 0200, 0u) << "a copy leaves the stored file alone";
}

TEST_F(CheckoutTest, SymlinkPointsAtTheStoredFile) {
  const std::string h = put("pointed at\n");
  EXPECT_EQ(checkout(store_, h, dir_ / "f", LinkMode::symlink), CheckoutAction::symlinked);
  EXPECT_TRUE(fs::is_symlink(dir_ / "f"));
  EXPECT_EQ(fs::read_symlink(dir_ / "f"), stored(h));
  EXPECT_EQ(read_file(dir_ / "f"), "pointed at\n");
}

TEST_F(CheckoutTest, AutoOnExt4FallsBackToHardLinksAndSaysSo) {
  if (not_ext4()) GTEST_SKIP() << "needs the scratch directory on ext4 (no reflinks)";
  const std::string a = put("a\n"), b = put("b\n");
  const CheckoutResult r = checkout_tree(store_, {{a, "x/a"}, {b, "y/z/b"}}, dir_ / "tree");
  EXPECT_EQ(r.hardlinked, 2u);
  EXPECT_EQ(r.reflinked + r.copied + r.failed, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(r.bytes, 4u);
  EXPECT_TRUE(same_inode(dir_ / "tree/x/a", stored(a)));
  EXPECT_TRUE(same_inode(dir_ / "tree/y/z/b", stored(b)));
}

TEST_F(CheckoutTest, ReflinkWhereTheFilesystemCannotCloneIsAnErrorNotACopy) {
  if (not_ext4()) GTEST_SKIP() << "needs the scratch directory on ext4 (no reflinks)";
  const std::string h = put("no clones here\n");
  try {
    checkout(store_, h, dir_ / "f", LinkMode::reflink);
    ADD_FAILURE() << "a reflink on ext4 succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), EOPNOTSUPP);
    EXPECT_NE(std::string(e.what()).find("ext4"), std::string::npos) << e.what();
  }
  const CheckoutResult r =
      checkout_tree(store_, {{h, "a"}, {h, "b"}}, dir_ / "tree", {LinkMode::reflink, 1});
  EXPECT_EQ(r.failed, 2u);
  EXPECT_EQ(r.copied + r.reflinked, 0u);
  EXPECT_FALSE(fs::exists(dir_ / "f"));
  EXPECT_TRUE(fs::is_empty(dir_ / "tree")) << "nothing, not even a temp file, is left";
}

TEST_F(CheckoutTest, AnExecutableUseOfANonExecutableHashGetsAFileOfItsOwn) {
  const std::string h = put("#!/bin/sh\n");
  const CheckoutResult r = checkout_tree(store_, {{h, "plain", false}, {h, "tool", true}},
                                         dir_ / "tree", {LinkMode::hardlink, 1});
  EXPECT_EQ(r.hardlinked, 1u);
  EXPECT_EQ(r.copied + r.reflinked, 1u);  // a reflink where the filesystem clones
  EXPECT_TRUE(same_inode(dir_ / "tree/plain", stored(h)));
  EXPECT_FALSE(same_inode(dir_ / "tree/tool", stored(h)));
  EXPECT_NE(lstat_of(dir_ / "tree/tool").st_mode & S_IXUSR, 0u);
  EXPECT_EQ(lstat_of(stored(h)).st_mode & 0111, 0u) << "the stored file's mode stays";
}

TEST_F(CheckoutTest, HostileRelativePathsAreRefusedBeforeAnythingIsWritten) {
  const std::string h = put("x\n");
  for (const std::string& bad :
       std::vector<std::string>{"../escape", "a/../../escape", "/etc/passwd", "a//b", "a/./b", "",
                                "a/", std::string("a\0b", 3)}) {
    EXPECT_THROW(checkout_tree(store_, {{h, "fine"}, {h, bad}}, dir_ / "tree"),
                 InvalidArgumentError)
        << bad;
  }
  EXPECT_THROW(checkout_tree(store_, {{h, "twice"}, {h, "twice"}}, dir_ / "tree"),
               InvalidArgumentError);
  EXPECT_THROW(checkout_tree(store_, {{h, "a"}, {h, "a/b"}}, dir_ / "tree"), InvalidArgumentError);
  EXPECT_THROW(checkout_tree(store_, {{"../x", "a"}}, dir_ / "tree"), InvalidHashError);
  EXPECT_FALSE(fs::exists(dir_ / "tree"));
  EXPECT_FALSE(fs::exists(dir_ / "escape"));
}

TEST_F(CheckoutTest, ASymlinkedDirectoryInTheTreeIsNotFollowed) {
  const std::string h = put("x\n");
  fs::create_directories(dir_ / "tree");
  fs::create_directories(dir_ / "outside");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "tree/sub");
  const CheckoutResult r = checkout_tree(store_, {{h, "sub/f"}, {h, "g"}}, dir_ / "tree");
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("symlink"), std::string::npos) << r.errors[0];
  EXPECT_TRUE(fs::is_empty(dir_ / "outside"));
  EXPECT_TRUE(fs::exists(dir_ / "tree/g"));
}

TEST_F(CheckoutTest, ADifferentFileIsReplacedAndTheSameOneIsAlreadyThere) {
  const std::string h = put("new content\n");
  test::write_file(dir_ / "tree/differs", "old content\n");
  test::write_file(dir_ / "tree/same_bytes", "new content\n");
  CheckoutResult r = checkout_tree(store_, {{h, "differs"}, {h, "same_bytes"}, {h, "fresh"}},
                                   dir_ / "tree", {LinkMode::hardlink, 1});
  EXPECT_EQ(r.hardlinked, 2u);
  EXPECT_EQ(r.already_there, 1u);
  EXPECT_TRUE(same_inode(dir_ / "tree/differs", stored(h)));
  EXPECT_FALSE(same_inode(dir_ / "tree/same_bytes", stored(h))) << "same bytes: left alone";
  EXPECT_EQ(read_file(dir_ / "tree/same_bytes"), "new content\n");
  r = checkout_tree(store_, {{h, "differs"}, {h, "fresh"}}, dir_ / "tree", {LinkMode::hardlink});
  EXPECT_EQ(r.already_there, 2u);
  EXPECT_EQ(r.hardlinked + r.copied, 0u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_ / "tree")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"differs", "fresh", "same_bytes"})) << "no temps";
}

TEST_F(CheckoutTest, AMissingHashFailsItsEntryAndTheOthersAreDone) {
  const std::string h = put("here\n");
  const std::string missing = test::sha256("not stored\n");
  const CheckoutResult r = checkout_tree(store_, {{h, "a"}, {missing, "b"}, {h, "c"}},
                                         dir_ / "tree", {LinkMode::copy, 2});
  EXPECT_EQ(r.copied, 2u);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("b: "), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[0].find("not in the store"), std::string::npos) << r.errors[0];
  EXPECT_FALSE(fs::exists(dir_ / "tree/b"));
  EXPECT_EQ(read_file(dir_ / "tree/c"), "here\n");
}

// A FileSystem whose link() answers EMLINK, as ext4 does for a file with 65,000 links.
class LinkLimitFs : public FileSystemWrapper {
 public:
  LinkLimitFs() : FileSystemWrapper(FileSystem::posix()) {}
  int link(const char*, const char*) override { return EMLINK; }
};

class CheckoutLinkLimitTest : public CheckoutTest {
 protected:
  CheckoutLinkLimitTest() : CheckoutTest(options()) {}
  static StoreOptions options() {
    StoreOptions o;
    o.file_system = std::make_shared<LinkLimitFs>();
    return o;
  }
};

TEST_F(CheckoutLinkLimitTest, EmlinkFallsBackToACopyOfThatFile) {
  if (not_ext4()) GTEST_SKIP() << "needs ext4: the fallback would clone where it can";
  const std::string h = put("popular\n");
  for (LinkMode mode : {LinkMode::hardlink, LinkMode::auto_}) {
    const fs::path tree = dir_ / std::string(to_string(mode));
    const CheckoutResult r = checkout_tree(store_, {{h, "a"}, {h, "b"}}, tree, {mode, 1});
    EXPECT_EQ(r.copied, 2u) << to_string(mode);
    EXPECT_EQ(r.hardlinked + r.failed, 0u) << to_string(mode);
    EXPECT_FALSE(same_inode(tree / "a", stored(h)));
    EXPECT_EQ(read_file(tree / "b"), "popular\n");
  }
}

// A FileSystem that copies half of what it is asked for, then kills the process: a checkout
// interrupted in the middle of a file.
class DiesMidCopyFs : public FileSystemWrapper {
 public:
  DiesMidCopyFs() : FileSystemWrapper(FileSystem::posix()) {}
  int copy_range(int in, int out, std::size_t, std::size_t* done) override {
    if (copied_ >= kHalfWay) ::raise(SIGKILL);
    const int err = FileSystemWrapper::copy_range(in, out, kHalfWay, done);
    if (err == 0) copied_ += *done;
    return err;
  }

 private:
  static constexpr std::size_t kHalfWay = 512 * 1024;
  std::size_t copied_ = 0;
};

TEST(CheckoutInterruptTest, AKilledCheckoutLeavesOnlyCompleteFiles) {
  TempDir dir;
  StoreOptions o;
  o.file_system = std::make_shared<DiesMidCopyFs>();
  Store store(dir / "store", o);
  const std::string small = put_content(store, dir.path(), "small\n");
  const std::string big = put_content(store, dir.path(), std::string(1 << 20, 'b'));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    checkout_tree(store, {{small, "small"}, {big, "big"}}, dir / "tree", {LinkMode::copy, 1});
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the checkout was not interrupted";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "tree")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"small"}) << "a partial file has a name";
  EXPECT_EQ(read_file(dir / "tree/small"), "small\n");
}

}  // namespace
}  // namespace cas
