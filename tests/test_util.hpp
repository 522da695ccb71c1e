// Helpers shared by the tests: scratch directories, file contents, running commands.
#pragma once

#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>

namespace cas::test {

// A fresh directory under $TMPDIR (default /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const boost::filesystem::path& path() const { return path_; }
  boost::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  boost::filesystem::path path_;
};

// The sha256 of `content`, lowercase hex: the name a store gives it.
std::string sha256(const std::string& content);

// Creates (or truncates) `p` holding `content`, creating parent directories.
void write_file(const boost::filesystem::path& p, const std::string& content);
// Returns the whole content of `p`; throws std::runtime_error when it cannot be read.
std::string read_file(const boost::filesystem::path& p);

struct RunResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};
// Runs argv[0] (searched in PATH) with the given arguments, stdin from `input`, and waits.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "");

// The lines of `text`, without their '\n'.
std::vector<std::string> lines_of(const std::string& text);

// Parses a bulk command's summary "<title>: k=v k=v ..." into {"": title, k: v, ...}; empty
// when `line` is not one.
std::map<std::string, std::string> parse_summary(const std::string& line);

// Sets the access and modification times of `p` (not following a symlink) to `t`; throws
// std::runtime_error naming `p` when it cannot.
void set_mtime(const boost::filesystem::path& p, std::time_t t);

// cp -a of a store (files keep their mtimes: stats reports them and trim orders by them), so
// one run can be compared with a split run on the same content.
void copy_tree(const boost::filesystem::path& from, const boost::filesystem::path& to);

// True when the tests run as root (needed for drop_caches, mounts, runuser).
bool is_root();

// A tmpfs of `size` ("1m") mounted on a fresh directory `where`, unmounted (lazily) on
// destruction. Needs root: ok() says whether the mount worked.
class Tmpfs {
 public:
  Tmpfs(const boost::filesystem::path& where, const std::string& size);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool ok() const { return ok_; }

 private:
  boost::filesystem::path path_;
  bool ok_ = false;
};

}  // namespace cas::test
