#include "cas/directory.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::TempDir;
using test::write_file;

std::map<std::string, Entry> list(Directory& dir) {
  std::map<std::string, Entry> out;
  for (const Entry& e : dir) out.emplace(e.d_name(), e);
  return out;
}

TEST(DirectoryTest, ListsEveryEntryIncludingDotAndDotDot) {
  TempDir tmp;
  write_file(tmp / "file", "x");
  write_file(tmp / "new\nline", "x");
  fs::create_directory(tmp / "sub");
  Directory dir(tmp.path());
  std::multiset<std::string> names;
  for (const Entry& e : dir) names.insert(e.d_name());
  EXPECT_EQ(names, (std::multiset<std::string>{".", "..", "file", "new\nline", "sub"}));
}

TEST(DirectoryTest, EntryFieldsMatchLstat) {
  TempDir tmp;
  write_file(tmp / "file", "x");
  fs::create_directory(tmp / "sub");
  fs::create_symlink("sub", tmp / "link");
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0644), 0);
  Directory dir(tmp.path());
  auto entries = list(dir);
  ASSERT_EQ(entries.size(), 6u);
  for (const char* name : {"file", "sub", "link", "fifo", "."}) {
    const Entry& e = entries.at(name);
    struct stat st;
    ASSERT_EQ(::lstat((tmp / name).c_str(), &st), 0);
    EXPECT_EQ(e.d_ino(), st.st_ino) << name;
    EXPECT_EQ(e.d_type(), IFTODT(st.st_mode)) << name;
    EXPECT_EQ(e.path(), tmp / name);
  }
  EXPECT_EQ(entries.at("link").d_type(), DT_LNK);
}

TEST(DirectoryTest, DirectoryOpensOnlySubdirectories) {
  TempDir tmp;
  write_file(tmp / "sub/inner", "x");
  write_file(tmp / "file", "x");
  fs::create_symlink("sub", tmp / "link");
  Directory dir(tmp.path());
  auto entries = list(dir);
  std::optional<Directory> sub = entries.at("sub").directory();
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->path(), tmp / "sub");
  EXPECT_EQ(list(*sub).count("inner"), 1u);
  EXPECT_FALSE(entries.at("file").directory().has_value());
  EXPECT_FALSE(entries.at("link").directory().has_value());
}

TEST(DirectoryTest, BeginRestartsTheListing) {
  TempDir tmp;
  for (int i = 0; i < 100; ++i) write_file(tmp / ("f" + std::to_string(i)), "");
  Directory dir(tmp.path());
  std::size_t first = 0, second = 0;
  for (auto it = dir.begin(); it != dir.end(); ++it) ++first;
  for (auto it = dir.begin(); it != dir.end(); ++it) ++second;
  EXPECT_EQ(first, 102u);
  EXPECT_EQ(second, 102u);
}

TEST(DirectoryTest, MovedDirectoryKeepsItsListing) {
  TempDir tmp;
  write_file(tmp / "a/f", "");
  Directory dir(tmp / "a");
  Directory moved(std::move(dir));
  EXPECT_EQ(list(moved).count("f"), 1u);
  EXPECT_GE(moved.fd(), 0);
}

TEST(DirectoryTest, MissingPathThrowsIoErrorNamingIt) {
  TempDir tmp;
  try {
    Directory dir(tmp / "missing");
    FAIL() << "no exception";
  } catch (const PermissionError&) {
    FAIL() << "not a permission error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(e.path(), (tmp / "missing").string());
    EXPECT_NE(std::string(e.what()).find((tmp / "missing").string()), std::string::npos);
  }
}

TEST(DirectoryTest, FileThrowsNotADirectory) {
  TempDir tmp;
  write_file(tmp / "file", "x");
  try {
    Directory dir(tmp / "file");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ENOTDIR);
  }
}

TEST(DirectoryTest, UnreadableDirectoryThrowsPermissionError) {
  TempDir tmp;
  fs::create_directory(tmp / "locked");
  ASSERT_EQ(::chmod((tmp / "locked").c_str(), 0), 0);
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  auto check = [&]() -> int {
    try {
      Directory dir(tmp / "locked");
    } catch (const PermissionError& e) {
      return e.code() == EACCES && e.path() == (tmp / "locked").string() ? 0 : 2;
    } catch (...) {
      return 3;
    }
    return 1;
  };
  if (!test::is_root()) {
    EXPECT_EQ(check(), 0);
    return;
  }
  // Root bypasses permissions: check in a child that has become nobody.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(4);
    _exit(check());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: opened, 2: wrong code/path, 3: wrong type, 4: setuid";
}

}  // namespace
}  // namespace cas
