// Real permission faults: EACCES as the unprivileged user `nobody` (root ignores modes) and
// EROFS on a read-only bind mount. Both need root and skip otherwise.
#include <pwd.h>
#include <sys/mount.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
const std::string kHash = "584b6ab7d7eb446938a02e57101c3a2fecbfb3cb";

// Runs `body` in a child process as `nobody`; returns the child's exit code.
int as_nobody(const std::function<int()>& body) {
  const passwd* pw = ::getpwnam("nobody");
  if (!pw) return 100;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0) ::_exit(101);
    int rc = 102;
    try {
      rc = body();
    } catch (...) {
      rc = 103;
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 104;
}

// Runs `call` (in a child as nobody): whether it throws the PermissionError of EACCES on
// `path`, "<operation> <path>: Permission denied".
bool refused(const std::function<void()>& call, const std::string& operation,
             const fs::path& path) {
  try {
    call();
  } catch (const PermissionError& e) {
    return e.code() == EACCES && e.path() == path.string() &&
           std::string(e.what()) == operation + " " + path.string() + ": Permission denied";
  }
  return false;
}

// Opens `tmp` to everyone and writes kHash's file, holding `content`, where `layout` places it
// in the store tmp/store; returns the file's path.
fs::path place_for_nobody(const test::TempDir& tmp, const Layout& layout,
                          const std::string& content) {
  fs::permissions(tmp.path(), fs::perms(0755));
  fs::path file = tmp / "store" / layout.lookup(kHash);
  test::write_file(file, content);
  return file;
}

TEST(StorePermissionTest, InsertAsNobodyNamesTheRefusedDirectory) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run a child as nobody";
  test::TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0755));
  fs::path root = tmp / "store";
  test::write_file(root / "58" / "keep", "x");  // root-owned 0755 bucket
  fs::path src_dir = tmp / "src";
  fs::create_directories(src_dir);
  fs::permissions(src_dir, fs::perms(0777));
  int rc = as_nobody([&] {
    test::write_file(src_dir / "f", "data");
    Store store(root, StoreOptions{.durability = Durability::none});
    try {
      store.insert(kHash, src_dir / "f");
      return 1;
    } catch (const PermissionError& e) {
      // The bucket directory refused the rename, not the source.
      if (e.path() != (root / "58" / kHash).string()) return 2;
      if (e.code() != EACCES) return 3;
      if (std::string(e.what()).find("Permission denied") == std::string::npos) return 4;
    }
    if (!fs::exists(src_dir / "f")) return 5;
    try {
      store.put(src_dir / "f");
      return 6;
    } catch (const PermissionError&) {
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(fs::exists(root / "58" / kHash));
}

TEST(StorePermissionTest, LookupAsNobodyReturnsV0FileWhenMigrationIsRefused) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run a child as nobody";
  test::TempDir tmp;
  const fs::path v0 = place_for_nobody(tmp, V0Layout(), "old");
  const fs::path root = tmp / "store";
  int rc = as_nobody([&] {
    Store store(root);
    auto p = store.lookup(kHash);
    if (!p || *p != v0) return 1;
    if (!refused([&] { store.remove(kHash); }, "unlink", v0)) return 2;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(fs::exists(v0));
}

// The errno of the open reaches the caller: EACCES is a PermissionError naming the file, from
// open_fd and from open, which is built on it.
TEST(StorePermissionTest, OpenAsNobodyOfAnUnreadableFileThrowsPermissionErrorNamingIt) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run a child as nobody";
  test::TempDir tmp;
  const fs::path file = place_for_nobody(tmp, V1Layout(), "root's alone");
  const fs::path root = tmp / "store";
  fs::permissions(file, fs::perms(0600));
  int rc = as_nobody([&] {
    Store store(root);
    if (!refused([&] { store.open_fd(kHash); }, "open", file)) return 1;
    if (!refused([&] { store.open(kHash); }, "open", file)) return 2;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(StorePermissionTest, PurgeAsNobodyCountsADirectoryItCannotRemove) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run a child as nobody";
  test::TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0755));
  fs::path root = tmp / "store";
  test::write_file(root / "58" / kHash, "x");
  fs::permissions(root, fs::perms(0755));         // nobody may not remove "58" from the root
  fs::permissions(root / "58", fs::perms(0777));  // but may empty it
  int rc = as_nobody([&] {
    Store store(root);
    PurgeResult r = purge(store);
    if (r.files_removed != 1) return 1;
    if (r.failed != 1 || r.errors.empty()) return 2;  // the content left behind is reported
    if (r.errors[0].find("rmdir") == std::string::npos) return 3;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(fs::is_directory(root / "58"));
}

TEST(StorePermissionTest, VerifyAsAReaderJudgesContentWithoutFailingOnTempCleanup) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run a child as nobody";
  test::TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0755));
  fs::path root = tmp / "store";
  Store(root).put([&] {
    test::write_file(tmp / "src", "content");
    return tmp / "src";
  }());
  test::write_file(root / ".cas-tmp" / "tmp-crashed", "partial");
  struct timeval old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimes((root / ".cas-tmp" / "tmp-crashed").c_str(), old), 0);
  int rc = as_nobody([&] {
    Store store(root);
    VerifyResult r = verify(store);
    if (r.ok != 1) return 1;
    if (r.failed != 0) return 2;  // not allowed to reap is not a failed verification
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(fs::exists(root / ".cas-tmp" / "tmp-crashed"));
}

TEST(StorePermissionTest, ReadOnlyMountRefusesWithEroFsAndChangesNothing) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to bind-mount read-only";
  test::TempDir tmp;
  fs::path real = tmp / "real";
  fs::path ro = tmp / "ro";
  test::write_file(real / V0Layout().lookup(kHash), "old");
  fs::create_directories(ro);
  ASSERT_EQ(::mount(real.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
  test::write_file(tmp / "src", "new");
  {
    Store store(ro, StoreOptions{.durability = Durability::none});
    // Lookup still finds the old copy (migration refused by EROFS).
    EXPECT_EQ(store.lookup(kHash), ro / V0Layout().lookup(kHash));
    try {
      store.put(tmp / "src");
      ADD_FAILURE() << "put on a read-only mount";
    } catch (const PermissionError& e) {
      EXPECT_EQ(e.code(), EROFS);
    }
    EXPECT_THROW(store.insert(kHash, tmp / "src"), PermissionError);
    EXPECT_THROW(store.remove(kHash), PermissionError);
  }
  ::umount(ro.c_str());
  EXPECT_TRUE(fs::exists(real / V0Layout().lookup(kHash)));
  EXPECT_TRUE(fs::exists(tmp / "src"));
  EXPECT_FALSE(fs::exists(real / "58" / kHash));
}

}  // namespace
}  // namespace cas
