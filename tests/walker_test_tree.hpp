// Test trees for the walker and pfind tests: awkward names and file types, deep paths, wide
// directories; and `find` as the oracle to compare listings with.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>

#include "test_util.hpp"

namespace cas::test {

// Splits `text` on `sep`, dropping the empty piece after a trailing separator.
inline std::vector<std::string> split_records(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

inline std::multiset<std::string> record_set(const std::string& text, char sep) {
  auto v = split_records(text, sep);
  return {v.begin(), v.end()};
}

// Creates a chain of `depth` directories with names of `name_len` bytes below `root`, fd-relative
// (mkdir by path fails past PATH_MAX), with a file "leaf" at the bottom. Returns the relative
// path of the leaf.
inline std::string make_deep_chain(const boost::filesystem::path& root, int depth,
                                   std::size_t name_len, char fill = 'd') {
  boost::filesystem::create_directories(root);
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + root.string());
  std::string rel;
  for (int i = 0; i < depth; ++i) {
    std::string name(name_len, fill);
    name[0] = static_cast<char>('a' + i % 26);
    if (::mkdirat(fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
      throw std::runtime_error("mkdirat");
    }
    int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(fd);
    if (next < 0) throw std::runtime_error("openat");
    fd = next;
    rel += name + "/";
  }
  int file = ::openat(fd, "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (file < 0) throw std::runtime_error("create leaf");
  ::close(file);
  ::close(fd);
  return rel + "leaf";
}

// Creates an empty file (faster than write_file, which also creates parent directories).
inline void touch(const boost::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("create " + p.string());
  ::close(fd);
}

// The tree issue 3 asks the walker to survive: every awkward name and type, empty directories,
// symlink loops, a path longer than PATH_MAX and 3000 entries in one directory.
inline void make_awkward_tree(const boost::filesystem::path& root) {
  namespace fs = boost::filesystem;
  const std::vector<std::string> names = {
      "plain.txt",
      "with space",
      "tab\there",
      "new\nline",
      "\xff\xfe-not-utf8",
      "-rf",
      "--help",
      "\xc3\xbcnic\xc3\xb6"
      "de-\xe6\x96\x87\xe4\xbb\xb6",
      "trailing ",
      "back\\slash",
      "star*?[glob]",
  };
  for (const auto& n : names) {
    write_file(root / n, "x");
    write_file(root / "sub dir" / n, "y");
  }
  fs::create_directories(root / "empty");
  fs::create_directories(root / "nested/a/b/c/empty");
  write_file(root / "nested/a/b/c/file", "z");
  if (::mkfifo((root / "fifo").c_str(), 0644) != 0) throw std::runtime_error("mkfifo");
  if (::mknod((root / "nested/socket").c_str(), S_IFSOCK | 0644, 0) != 0) {
    throw std::runtime_error("mknod socket");
  }
  fs::create_symlink("does-not-exist", root / "dangling");
  fs::create_symlink("loop_b", root / "loop_a");
  fs::create_symlink("loop_a", root / "loop_b");
  fs::create_symlink("self", root / "self");
  fs::create_symlink("..", root / "nested/a/up");  // a directory loop, when followed
  fs::create_symlink("nested", root / "dirlink");
  fs::create_directories(root / "wide");
  for (int i = 0; i < 3000; ++i) touch(root / "wide" / ("f" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) fs::create_directories(root / "wide" / ("d" + std::to_string(i)));
  make_deep_chain(root / "deep", 25, 200);  // 25 * 201 bytes: well past PATH_MAX (4096)
}

// One awkward tree per test process, shared by the tests that only read it: creating 3000 files
// costs seconds on this ext4 (metadata writes are slow), so it is made once.
inline const boost::filesystem::path& shared_awkward_tree() {
  static TempDir dir;
  static const bool made = (make_awkward_tree(dir.path()), true);
  (void)made;
  return dir.path();
}

// `find ROOT ! -type d -printf FORMAT` with NUL-terminated records, as a multiset.
inline std::multiset<std::string> find_records(const boost::filesystem::path& root,
                                               const std::vector<std::string>& predicates,
                                               const std::string& format) {
  std::vector<std::string> argv = {"find", root.string()};
  argv.insert(argv.end(), predicates.begin(), predicates.end());
  argv.push_back("-printf");
  argv.push_back(format + "\\0");
  RunResult r = run(argv);
  return record_set(r.out, '\0');
}

}  // namespace cas::test
