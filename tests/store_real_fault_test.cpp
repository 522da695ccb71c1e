// Real faults on real filesystems, where the kernel makes them (root only: the tests mount
// tmpfs and skip otherwise): ENOSPC on a small tmpfs, EXDEV from another filesystem. After a
// failure the store holds nothing partial and keeps working.
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "fault_fs.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::all_files, test::FaultFs, test::sha256, test::Tmpfs;

TEST(StoreRealFaultTest, FullDiskFailsWithEnospcLeavesNothingAndRecovers) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  test::TempDir tmp;
  Tmpfs small(tmp / "small", "1m");
  ASSERT_TRUE(small.ok()) << "mount tmpfs: " << std::strerror(errno);
  fs::path root = tmp / "small" / "store";
  const std::string big(700 * 1024, 'b');
  test::write_file(tmp / "big", big);
  test::write_file(tmp / "small" / "filler", std::string(600 * 1024, 'f'));

  for (int mode = 0; mode < 3; ++mode) {
    Store s(root);
    try {
      if (mode == 0) s.put(tmp / "big");
      if (mode == 1) s.copy(sha256(big), tmp / "big");
      if (mode == 2) s.insert(sha256(big), tmp / "big");  // another filesystem: EXDEV, copy
      FAIL() << "mode " << mode << ": wrote 700 KiB into 400 KiB of space";
    } catch (const IoError& e) {
      EXPECT_EQ(e.code(), ENOSPC) << e.what();
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos)
          << e.what();
    }
    // Nothing partial: no content, no temp file; the source is intact.
    for (const auto& f : all_files(root)) ADD_FAILURE() << "left behind: " << f;
    EXPECT_EQ(test::read_file(tmp / "big"), big);
  }
  struct statvfs sv;
  ASSERT_EQ(::statvfs((tmp / "small").c_str(), &sv), 0);
  EXPECT_GT(sv.f_bavail * sv.f_frsize, 350u * 1024) << "space was not given back";

  // Space freed: the same store works again.
  fs::remove(tmp / "small" / "filler");
  Store s(root);
  EXPECT_EQ(s.put(tmp / "big"), sha256(big));
  EXPECT_EQ(test::read_file(*s.lookup(sha256(big))), big);
}

TEST(StoreRealFaultTest, InsertFromAnotherFilesystemCopiesThenRemovesTheSource) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  test::TempDir tmp;
  Tmpfs other(tmp / "other", "4m");
  ASSERT_TRUE(other.ok()) << "mount tmpfs: " << std::strerror(errno);
  const std::string data(200 * 1024, 'd');
  test::write_file(tmp / "other" / "download", data);
  fs::permissions(tmp / "other" / "download", fs::perms(0640));
  // Batch durability syncs nothing per file, but a move across filesystems must: the source
  // is unlinked on a filesystem whose journal does not wait for the store's.
  auto faults = std::make_shared<FaultFs>();
  Store s(tmp / "store", StoreOptions{.durability = Durability::batch, .file_system = faults});
  fs::path p = s.insert(sha256(data), tmp / "other" / "download");
  EXPECT_EQ(p, s.preferred_path(sha256(data)));
  EXPECT_EQ(test::read_file(p), data);
  EXPECT_EQ(fs::status(p).permissions(), fs::perms(0640));  // as mv keeps it
  EXPECT_EQ(faults->fsyncs.load(), 2);                      // the file, then its directory
  EXPECT_FALSE(fs::exists(tmp / "other" / "download"));
  for (const auto& f : all_files(tmp / "store")) {
    EXPECT_NE(f.rfind(".cas-tmp/", 0), 0u) << "temp file left: " << f;
  }
}

}  // namespace
}  // namespace cas
