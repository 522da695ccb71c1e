// Faults while publishing, injected through the FileSystem seam (EIO, EINTR, short writes,
// failing fsync/close, no O_TMPFILE), and the optional content checks (verify_on_insert,
// verify_on_open). After every failure the store holds nothing partial and keeps working. Real
// faults on real filesystems: store_real_fault_test.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "fault_fs.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::all_files, test::FaultFs, test::sha256;

ino_t inode_of(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

class StoreFaultTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "store"; }
  Store store(Durability d = Durability::file) {
    return Store(root(), StoreOptions{.durability = d, .file_system = faults_});
  }
  // Expects the store to hold exactly `hashes`, each with the content that names it, and no
  // temp file.
  void expect_only(const std::vector<std::string>& hashes) {
    Store check(root(), StoreOptions{.read_only = true});
    std::vector<std::string> seen;
    check.walk([&](const std::string& h) { seen.push_back(h); });
    std::sort(seen.begin(), seen.end());
    auto want = hashes;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(seen, want);
    for (const auto& h : seen) EXPECT_EQ(sha256(test::read_file(*check.lookup(h))), h);
    for (const auto& f : all_files(root())) {
      EXPECT_NE(f.rfind(".cas-tmp/", 0), 0u) << "temp file left: " << f;
    }
  }

  test::TempDir tmp_;
  std::shared_ptr<FaultFs> faults_ = std::make_shared<FaultFs>();
};

const std::string kData(300 * 1024, 'x');  // more than one copy chunk

TEST_F(StoreFaultTest, EioOnWriteFailsPutNamingTheTempAndLeavesNothing) {
  test::write_file(tmp_ / "src", kData);
  std::atomic<int> writes{0};
  faults_->on_write = [&](int, std::size_t, std::size_t*, const void*) {
    return ++writes == 2 ? EIO : -1;
  };
  Store s = store();
  try {
    s.put(tmp_ / "src");
    FAIL() << "put succeeded despite EIO";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), EIO);
    EXPECT_NE(e.path().find(".cas-tmp"), std::string::npos) << e.path();
    EXPECT_NE(std::string(e.what()).find("write"), std::string::npos) << e.what();
  }
  expect_only({});
  faults_->on_write = nullptr;
  EXPECT_EQ(s.put(tmp_ / "src"), sha256(kData));
  expect_only({sha256(kData)});
  EXPECT_EQ(test::read_file(tmp_ / "src"), kData);
}

TEST_F(StoreFaultTest, EioOnReadOfTheSourceFailsCopyNamingTheSource) {
  test::write_file(tmp_ / "src", kData);
  std::atomic<int> reads{0};
  faults_->on_read = [&](int) { return ++reads == 1 ? EIO : 0; };
  Store s = store();
  try {
    s.copy(sha256(kData), tmp_ / "src");
    FAIL() << "copy succeeded despite EIO";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), EIO);
    EXPECT_EQ(e.path(), (tmp_ / "src").string());
  }
  expect_only({});
}

TEST_F(StoreFaultTest, EintrAndShortWritesStillPublishTheWholeContent) {
  std::string data;
  for (int i = 0; i < 700000; ++i) data.push_back(static_cast<char>('a' + i % 23));
  test::write_file(tmp_ / "src", data);
  std::atomic<int> calls{0};
  std::atomic<int> reads{0};
  faults_->on_read = [&](int) { return ++reads % 3 == 1 ? EINTR : 0; };
  faults_->on_write = [&](int fd, std::size_t size, std::size_t* done, const void* buf) -> int {
    int n = ++calls;
    if (n % 4 == 1) return EINTR;
    // A short write: at most 1000 bytes reach the file.
    std::size_t part = std::min<std::size_t>(size, 1000);
    return FileSystem::posix()->write(fd, buf, part, done);
  };
  Store s = store();
  EXPECT_EQ(s.put(tmp_ / "src"), sha256(data));
  EXPECT_GT(calls.load(), 700);
  expect_only({sha256(data)});
}

TEST_F(StoreFaultTest, FailingFsyncPublishesNothing) {
  test::write_file(tmp_ / "src", kData);
  faults_->on_fsync = [](int) { return EIO; };
  Store s = store(Durability::file);
  EXPECT_THROW(s.put(tmp_ / "src"), IoError);
  EXPECT_THROW(s.copy(sha256(kData), tmp_ / "src"), IoError);
  expect_only({});
  EXPECT_EQ(test::read_file(tmp_ / "src"), kData);
}

TEST_F(StoreFaultTest, LateCloseErrorTakesThePublishedNameBack) {
  // NFS reports write-back errors at close; the content is then not trustworthy.
  test::write_file(tmp_ / "src", kData);
  Store s = store();
  s.put(tmp_ / "src");  // the first write probes O_TMPFILE support
  s.remove(sha256(kData));
  faults_->on_close = [](int) { return EIO; };
  EXPECT_THROW(s.put(tmp_ / "src"), IoError);
  faults_->on_close = nullptr;
  expect_only({});
}

TEST_F(StoreFaultTest, LateCloseErrorNeverRemovesAnotherWritersCopy) {
  // Between our link and our close error, another writer publishes the same hash: its copy is
  // good and its put succeeded, so taking our name back must leave its file in place.
  test::write_file(tmp_ / "src", kData);
  Store s = store();
  const std::string h = s.put(tmp_ / "src");
  s.remove(h);
  ino_t theirs = 0;
  faults_->on_close = [&](int) {
    if (theirs != 0) return 0;  // the first close is that of our temp
    test::write_file(tmp_ / "theirs", kData);
    theirs = inode_of(tmp_ / "theirs");
    fs::rename(tmp_ / "theirs", s.preferred_path(h));
    return EIO;
  };
  try {
    s.put(tmp_ / "src");
    FAIL() << "put succeeded despite a close error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), EIO);
    EXPECT_EQ(e.path(), s.preferred_path(h).string());
  }
  ASSERT_TRUE(fs::exists(s.preferred_path(h)));
  EXPECT_EQ(inode_of(s.preferred_path(h)), theirs);
  expect_only({h});
}

TEST_F(StoreFaultTest, TempAreaRemovedWhileWritingAnExistingHashIsRecreated) {
  // Replacing an existing file goes through a named temp; the temp area may have been removed
  // (by hand, or by a tool) while the anonymous temp was being written.
  test::write_file(tmp_ / "src", kData);
  Store s = store();
  const std::string h = s.put(tmp_ / "src");
  bool removed = false;
  faults_->on_write = [&](int, std::size_t, std::size_t*, const void*) {
    if (!std::exchange(removed, true)) fs::remove_all(root() / ".cas-tmp");
    return -1;
  };
  EXPECT_EQ(s.put(tmp_ / "src"), h);
  expect_only({h});
}

TEST_F(StoreFaultTest, PublishedFilesGetTheUmaskEvenWhereOTmpfileSkipsIt) {
  const mode_t saved = ::umask(022);
  for (bool old_kernel : {false, true}) {
    faults_ = std::make_shared<FaultFs>();
    faults_->tmpfile_ignores_umask = old_kernel;
    Store s = store();
    for (int i = 0; i < 3; ++i) {
      test::write_file(tmp_ / "src", kData + std::to_string(old_kernel) + std::to_string(i));
      const std::string h = s.put(tmp_ / "src");
      EXPECT_EQ(fs::status(s.preferred_path(h)).permissions(), fs::perms(0644))
          << (old_kernel ? "O_TMPFILE ignoring the umask" : "O_TMPFILE") << ", file " << i;
    }
  }
  ::umask(saved);
}

TEST_F(StoreFaultTest, DirectoryFsyncRefusalIsToleratedWithFullDurability) {
  // Some network filesystems answer EINVAL to fsync on a directory (restic tolerates it too).
  test::write_file(tmp_ / "src", kData);
  faults_->on_fsync = [](int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? EINVAL : 0;
  };
  Store s = store(Durability::full);
  EXPECT_EQ(s.put(tmp_ / "src"), sha256(kData));
  expect_only({sha256(kData)});
}

TEST_F(StoreFaultTest, WithoutOTmpfileOrProcANamedTempIsUsedAndRemoved) {
  for (int variant = 0; variant < 2; ++variant) {
    faults_ = std::make_shared<FaultFs>();
    faults_->no_tmpfile = variant == 0;
    faults_->no_link_fd = variant == 1;
    for (int i = 0; i < 3; ++i) {
      std::string data = kData + std::to_string(variant * 10 + i);
      test::write_file(tmp_ / "src", data);
      Store s = store();
      EXPECT_EQ(s.put(tmp_ / "src"), sha256(data));
    }
  }
  expect_only({sha256(kData + "0"), sha256(kData + "1"), sha256(kData + "2"), sha256(kData + "10"),
               sha256(kData + "11"), sha256(kData + "12")});
}

TEST_F(StoreFaultTest, DurabilityModesCostTheExpectedFsyncs) {
  auto count = [&](Durability d) {
    faults_->fsyncs = 0;
    Store s = store(d);
    for (int i = 0; i < 10; ++i) {
      test::write_file(tmp_ / "src",
                       "content " + std::to_string(static_cast<int>(d)) + "/" + std::to_string(i));
      s.put(tmp_ / "src");
    }
    s.flush();
    return faults_->fsyncs.load();
  };
  EXPECT_EQ(count(Durability::none), 0);
  EXPECT_EQ(count(Durability::batch), 0);  // one syncfs in flush() instead
  EXPECT_EQ(count(Durability::file), 10);
  EXPECT_EQ(count(Durability::full), 20);  // the file, then its directory
  Store check(root());
  int n = 0;
  check.walk([&](const std::string&) { ++n; });
  EXPECT_EQ(n, 40);
}

TEST_F(StoreFaultTest, FlushOfAMissingRootIsANoOp) {
  Store s = store(Durability::batch);
  EXPECT_NO_THROW(s.flush());
  EXPECT_FALSE(fs::exists(root()));
}

TEST_F(StoreFaultTest, VerifyOnInsertRefusesWrongContentAndPublishesNothing) {
  test::write_file(tmp_ / "src", "what was downloaded");
  const std::string wrong = sha256("what was promised");
  Store s(root(), StoreOptions{.verify_on_insert = true});
  try {
    s.insert(wrong, tmp_ / "src");
    FAIL() << "insert accepted content that does not match";
  } catch (const CorruptError& e) {
    EXPECT_EQ(e.expected(), wrong);
    EXPECT_EQ(e.actual(), sha256("what was downloaded"));
    EXPECT_EQ(e.path(), (tmp_ / "src").string());
  }
  EXPECT_THROW(s.copy(wrong, tmp_ / "src"), CorruptError);
  EXPECT_EQ(test::read_file(tmp_ / "src"), "what was downloaded");
  expect_only({});
  // The right hash goes in; sha1 and sha512 names are checked with their own algorithm.
  const std::string right = sha256("what was downloaded");
  EXPECT_EQ(s.insert(right, tmp_ / "src"), s.preferred_path(right));
  test::write_file(tmp_ / "src", "sha1 content");
  EXPECT_THROW(s.copy(sha256("sha1 content").substr(0, 40), tmp_ / "src"), CorruptError);
  EXPECT_NO_THROW(s.copy(hash_bytes("sha1 content", HashAlgorithm::sha1), tmp_ / "src"));
  // Off (the default): not checked.
  Store fast(root());
  EXPECT_NO_THROW(fast.copy(wrong, tmp_ / "src"));
}

TEST_F(StoreFaultTest, VerifyOnOpenQuarantinesACorruptFile) {
  const std::string h = sha256("good bytes");
  Store writer(root());
  test::write_file(tmp_ / "src", "good bytes");
  fs::path p = writer.insert(h, tmp_ / "src");
  test::write_file(p, "bit rot!!!");  // same size, different bytes

  // Read-only: reported, not moved.
  Store ro(root(), StoreOptions{.read_only = true, .verify_on_open = true});
  EXPECT_THROW(ro.open(h), CorruptError);
  EXPECT_TRUE(fs::exists(p));

  Store s(root(), StoreOptions{.verify_on_open = true});
  try {
    s.open(h);
    FAIL() << "open served a corrupt file";
  } catch (const CorruptError& e) {
    EXPECT_EQ(e.path(), p.string());
    EXPECT_EQ(e.actual(), sha256("bit rot!!!"));
  }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_EQ(test::read_file(root() / ".cas-quarantine" / h), "bit rot!!!");
  EXPECT_EQ(s.open(h), nullptr);  // gone, so a caller downloads it again
  // A good file opens and reads from its start.
  test::write_file(tmp_ / "src", "good bytes");
  s.insert(h, tmp_ / "src");
  auto in = s.open(h);
  ASSERT_TRUE(in);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(*in), {}), "good bytes");
}

TEST_F(StoreFaultTest, FirstWriteReapsStaleTempFilesOnly) {
  fs::path temp = root() / ".cas-tmp";
  test::write_file(temp / "tmp-crashed", "partial");
  test::write_file(temp / "tmp-live", "being written");
  struct timeval old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimes((temp / "tmp-crashed").c_str(), old), 0);
  test::write_file(tmp_ / "src", "x");
  Store s(root());
  s.put(tmp_ / "src");
  EXPECT_FALSE(fs::exists(temp / "tmp-crashed"));
  EXPECT_TRUE(fs::exists(temp / "tmp-live"));
  // Explicitly, with a shorter age; and never in a read-only store.
  ASSERT_EQ(::utimes((temp / "tmp-live").c_str(), old), 0);
  EXPECT_THROW(Store(root(), StoreOptions{.read_only = true}).reap_temp(std::chrono::seconds(60)),
               ReadOnlyError);
  EXPECT_EQ(s.reap_temp(std::chrono::seconds(60)), 1u);
  EXPECT_EQ(s.reap_temp(std::chrono::seconds(60)), 0u);
  EXPECT_THROW(s.reap_temp(std::chrono::seconds(-1)), InvalidArgumentError);
}

}  // namespace
}  // namespace cas
