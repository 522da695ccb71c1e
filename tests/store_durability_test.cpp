// Durability of insert and copy: which fsyncs each Durability makes, on what, and when.
//
// A power loss cannot be simulated here, so the syncs are observed through the FileSystem seam,
// as StoreFaultTest.DurabilityModesCostTheExpectedFsyncs does for put: every fsync is recorded
// with the kind and inode of what it syncs and whether the file's final name existed yet.
// `file` must sync the content before the name can show it; `full` must also sync the
// directory once the name is in it.
#include <sys/stat.h>

#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

using test::sha256;

ino_t inode_of(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

struct Fsync {
  bool directory = false;
  ino_t ino = 0;
  bool name_existed = false;  // the published name (set by the test) existed at that instant
};

// Records every fsync; everything reaches the real filesystem.
class FsyncRecorder : public FileSystemWrapper {
 public:
  FsyncRecorder() : FileSystemWrapper(FileSystem::posix()) {}

  // The name whose existence each fsync records.
  void watch(const fs::path& name) {
    std::lock_guard lock(mu_);
    watched_ = name;
    syncs_.clear();
  }
  std::vector<Fsync> syncs() {
    std::lock_guard lock(mu_);
    return syncs_;
  }

  int fsync(int fd) override {
    Fsync s;
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      s.directory = S_ISDIR(st.st_mode);
      s.ino = st.st_ino;
    }
    {
      std::lock_guard lock(mu_);
      s.name_existed = !watched_.empty() && inode_of(watched_) != 0;
      syncs_.push_back(s);
    }
    return FileSystemWrapper::fsync(fd);
  }

 private:
  std::mutex mu_;
  fs::path watched_;
  std::vector<Fsync> syncs_;
};

class StoreDurabilityTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "store"; }
  Store store(Durability d) {
    return Store(root(), StoreOptions{.durability = d, .file_system = recorder_});
  }
  // Writes a source file (on the store's filesystem) whose content is unique to `tag`.
  std::string write_source(const std::string& tag) {
    const std::string content = "content of " + tag;
    test::write_file(tmp_ / "src", content);
    return sha256(content);
  }

  test::TempDir tmp_;
  std::shared_ptr<FsyncRecorder> recorder_ = std::make_shared<FsyncRecorder>();
};

TEST_F(StoreDurabilityTest, NoneAndBatchInsertAndCopyMakeNoFsync) {
  for (Durability d : {Durability::none, Durability::batch}) {
    Store s = store(d);
    const std::string tag = d == Durability::none ? "none" : "batch";
    std::string h = write_source(tag + " insert");
    recorder_->watch(s.preferred_path(h));
    s.insert(h, tmp_ / "src");
    EXPECT_EQ(recorder_->syncs().size(), 0u) << tag << " insert";
    h = write_source(tag + " copy");
    recorder_->watch(s.preferred_path(h));
    s.copy(h, tmp_ / "src");
    EXPECT_EQ(recorder_->syncs().size(), 0u) << tag << " copy";
  }
}

TEST_F(StoreDurabilityTest, FileInsertFsyncsTheSourceBeforeItGetsItsName) {
  // A same-filesystem insert is one rename: the bytes the caller wrote must reach the disk
  // before the name does, or a power loss leaves the name on an empty or torn file.
  Store s = store(Durability::file);
  for (int i = 0; i < 3; ++i) {  // the first insert creates the bucket; the others find it
    const std::string h = write_source("file insert " + std::to_string(i));
    const ino_t source = inode_of(tmp_ / "src");
    recorder_->watch(s.preferred_path(h));
    EXPECT_EQ(s.insert(h, tmp_ / "src"), s.preferred_path(h));
    EXPECT_EQ(inode_of(s.preferred_path(h)), source) << "insert on one filesystem is a rename";
    const auto syncs = recorder_->syncs();
    ASSERT_EQ(syncs.size(), 1u) << "insert " << i << ": one fsync, of the content";
    EXPECT_FALSE(syncs[0].directory);
    EXPECT_EQ(syncs[0].ino, source) << "the fsync must be of the file being published";
    EXPECT_FALSE(syncs[0].name_existed) << "the content was synced after it got its name";
  }
}

TEST_F(StoreDurabilityTest, FullInsertFsyncsTheContentThenTheDirectoryAfterTheRename) {
  Store s = store(Durability::full);
  for (int i = 0; i < 3; ++i) {
    const std::string h = write_source("full insert " + std::to_string(i));
    const ino_t source = inode_of(tmp_ / "src");
    const fs::path name = s.preferred_path(h);
    recorder_->watch(name);
    s.insert(h, tmp_ / "src");
    const auto syncs = recorder_->syncs();
    ASSERT_EQ(syncs.size(), 2u) << "insert " << i << ": the content, then its directory";
    EXPECT_FALSE(syncs[0].directory);
    EXPECT_EQ(syncs[0].ino, source);
    EXPECT_FALSE(syncs[0].name_existed) << "the content was synced after it got its name";
    EXPECT_TRUE(syncs[1].directory);
    EXPECT_EQ(syncs[1].ino, inode_of(name.parent_path()))
        << "the directory synced must be the one holding the new name";
    EXPECT_TRUE(syncs[1].name_existed) << "the directory was synced before the rename into it";
  }
}

TEST_F(StoreDurabilityTest, FileAndFullCopyFsyncTheTempBeforeItsNameAndFullAlsoTheDirectory) {
  for (Durability d : {Durability::file, Durability::full}) {
    Store s = store(d);
    const std::string tag = d == Durability::file ? "file" : "full";
    for (int i = 0; i < 3; ++i) {  // the first copy also probes O_TMPFILE support
      const std::string h = write_source(tag + " copy " + std::to_string(i));
      const fs::path name = s.preferred_path(h);
      recorder_->watch(name);
      s.copy(h, tmp_ / "src");
      EXPECT_EQ(test::read_file(name), "content of " + tag + " copy " + std::to_string(i));
      const auto syncs = recorder_->syncs();
      ASSERT_EQ(syncs.size(), d == Durability::full ? 2u : 1u) << tag << " copy " << i;
      EXPECT_FALSE(syncs[0].directory);
      EXPECT_EQ(syncs[0].ino, inode_of(name)) << "the fsync must be of the published copy";
      EXPECT_FALSE(syncs[0].name_existed) << "the content was synced after it got its name";
      if (d == Durability::full) {
        EXPECT_TRUE(syncs[1].directory);
        EXPECT_EQ(syncs[1].ino, inode_of(name.parent_path()));
        EXPECT_TRUE(syncs[1].name_existed);
      }
    }
  }
}

}  // namespace
}  // namespace cas
