// The destination's directories (directories.hpp).
#include "checkout/directories.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <string>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {

dev_t DirectoryMaker::make(std::string_view rel_dir) {
  const std::string key(rel_dir);
  {
    std::lock_guard lock(mutex_);
    if (auto it = made_.find(key); it != made_.end()) return it->second;
  }
  // Made outside the lock: two threads making one directory both succeed (EEXIST is fine).
  const dev_t dev = rel_dir.empty() ? make_root() : (make(parent_of(rel_dir)), make_one(key));
  std::lock_guard lock(mutex_);
  made_.emplace(key, dev);
  return dev;
}

dev_t DirectoryMaker::make_root() {
  boost::system::error_code ec;
  boost::filesystem::create_directories(root_, ec);
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0) throw_errno(errno, "stat", root_.string());
  if (!S_ISDIR(st.st_mode)) throw_errno(ENOTDIR, "checkout into", root_.string());
  return st.st_dev;
}

dev_t DirectoryMaker::make_one(const std::string& rel_dir) {
  const std::string path = (root_ / rel_dir).string();
  struct stat st {};
  int err = fs_.lstat(path.c_str(), &st);
  if (err == ENOENT) {
    err = fs_.mkdir(path.c_str(), 0777);
    if (err != 0 && err != EEXIST) throw_errno(err, "mkdir", path);
    err = fs_.lstat(path.c_str(), &st);
  }
  if (err != 0) throw_errno(err, "lstat", path);
  if (S_ISLNK(st.st_mode)) throw Error(path + ": a symlink, never followed by a checkout");
  if (!S_ISDIR(st.st_mode)) throw_errno(ENOTDIR, "mkdir", path);
  return st.st_dev;
}

}  // namespace cas::detail
