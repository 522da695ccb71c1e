// cas::checkout across real filesystems (root only: the tests mount them): auto copies to
// another filesystem (a tmpfs) and says so, hardlink there fails with EXDEV naming both
// filesystems, and on a loop-mounted XFS with reflink=1 a reflink shares the stored file's
// extents (FIEMAP) and auto picks it.
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "cas/checkout.hpp"
#include "cas/errors.hpp"
#include "checkout_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::put_content, test::read_file, test::same_inode, test::TempDir;

class CheckoutMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "mounting a tmpfs or an XFS image needs root";
  }
  TempDir dir_;
};

TEST_F(CheckoutMountTest, AutoCopiesToAnotherFilesystemAndSaysSo) {
  test::Tmpfs tmpfs(dir_ / "tmpfs", "8m");
  ASSERT_TRUE(tmpfs.ok());
  Store store(dir_ / "store");
  const std::string h = put_content(store, dir_.path(), "elsewhere\n");
  const CheckoutResult r = checkout_tree(store, {{h, "a"}, {h, "d/b"}}, dir_ / "tmpfs/tree");
  EXPECT_EQ(r.copied, 2u);
  EXPECT_EQ(r.hardlinked + r.reflinked + r.failed, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(read_file(dir_ / "tmpfs/tree/d/b"), "elsewhere\n");
  EXPECT_FALSE(same_inode(dir_ / "tmpfs/tree/a", *store.lookup_local(h)));
}

TEST_F(CheckoutMountTest, HardlinkAcrossFilesystemsIsAnErrorNamingBoth) {
  test::Tmpfs tmpfs(dir_ / "tmpfs", "8m");
  ASSERT_TRUE(tmpfs.ok());
  Store store(dir_ / "store");
  const std::string h = put_content(store, dir_.path(), "elsewhere\n");
  try {
    checkout(store, h, dir_ / "tmpfs/f", LinkMode::hardlink);
    ADD_FAILURE() << "a hard link across filesystems succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), EXDEV);
    const std::string what = e.what();
    EXPECT_NE(what.find("tmpfs at " + (dir_ / "tmpfs").string()), std::string::npos) << what;
    EXPECT_NE(what.find("store on "), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(dir_ / "tmpfs/f"));
  const CheckoutResult r =
      checkout_tree(store, {{h, "a"}}, dir_ / "tmpfs/tree", {LinkMode::hardlink, 1});
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.copied, 0u) << "hardlink never copies across filesystems";
}

class CheckoutXfsTest : public CheckoutMountTest {
 protected:
  void SetUp() override {
    CheckoutMountTest::SetUp();
    if (IsSkipped()) return;
    xfs_ = std::make_unique<test::XfsMount>(dir_ / "xfs");
    if (!xfs_->ok()) GTEST_SKIP() << "no XFS with reflink=1 here: " << xfs_->why_not();
  }
  std::unique_ptr<test::XfsMount> xfs_;
};

TEST_F(CheckoutXfsTest, ReflinkSharesTheStoredFilesExtents) {
  Store store(dir_ / "xfs/store");
  const std::string h = put_content(store, dir_ / "xfs", std::string(256 * 1024, 'r'));
  const fs::path src = *store.lookup_local(h);
  ASSERT_FALSE(test::extents_of(src).empty());
  EXPECT_FALSE(test::extents_of(src)[0].shared) << "shared before any clone";
  EXPECT_EQ(checkout(store, h, dir_ / "xfs/out/f", LinkMode::reflink), CheckoutAction::reflinked);
  const auto extents = test::extents_of(dir_ / "xfs/out/f");
  ASSERT_FALSE(extents.empty());
  EXPECT_TRUE(extents[0].shared);
  EXPECT_EQ(extents[0].physical, test::extents_of(src)[0].physical);
  EXPECT_FALSE(same_inode(dir_ / "xfs/out/f", src));
  EXPECT_EQ(read_file(dir_ / "xfs/out/f"), std::string(256 * 1024, 'r'));
}

TEST_F(CheckoutXfsTest, AutoReflinksWhereTheFilesystemClones) {
  Store store(dir_ / "xfs/store");
  const std::string h = put_content(store, dir_ / "xfs", std::string(64 * 1024, 'a'));
  const CheckoutResult r =
      checkout_tree(store, {{h, "a"}, {h, "b"}, {h, "c", true}}, dir_ / "xfs/tree");
  EXPECT_EQ(r.reflinked, 3u);
  EXPECT_EQ(r.hardlinked + r.copied + r.failed, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_TRUE(test::extents_of(dir_ / "xfs/tree/b").at(0).shared);
  EXPECT_NE(test::lstat_of(dir_ / "xfs/tree/c").st_mode & S_IXUSR, 0u);
}

}  // namespace
}  // namespace cas
