// The destination's directories (directories.hpp).
#include "checkout/directories.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <string>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {

DestDir DirectoryMaker::make(std::string_view rel_dir) {
  const std::string key(rel_dir);
  {
    std::lock_guard lock(mutex_);
    if (auto it = made_.find(key); it != made_.end()) return it->second;
  }
  // Made outside the lock: two threads making one directory both succeed (EEXIST is fine), and
  // the first one's answer is kept.
  const DestDir dir = rel_dir.empty() ? make_root() : make_one(key, make(parent_of(rel_dir)).dev);
  std::lock_guard lock(mutex_);
  return made_.emplace(key, dir).first->second;
}

DestDir DirectoryMaker::make_root() {
  boost::system::error_code ec;
  boost::filesystem::create_directories(root_, ec);
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0) throw_errno(errno, "stat", root_.string());
  if (!S_ISDIR(st.st_mode)) throw_errno(ENOTDIR, "checkout into", root_.string());
  return {st.st_dev, false};
}

DestDir DirectoryMaker::make_one(const std::string& rel_dir, dev_t parent_dev) {
  const std::string path = (root_ / rel_dir).string();
  // mkdir first: in a fresh tree (the usual case) one system call per directory, and a
  // directory just made is on its parent's filesystem (nothing can be mounted on it yet).
  int err = fs_.mkdir(path.c_str(), 0777);
  if (err == 0) return {parent_dev, true};
  if (err != EEXIST) throw_errno(err, "mkdir", path);
  struct stat st {};
  if (err = fs_.lstat(path.c_str(), &st); err != 0) throw_errno(err, "lstat", path);
  if (S_ISLNK(st.st_mode)) throw Error(path + ": a symlink, never followed by a checkout");
  if (!S_ISDIR(st.st_mode)) throw_errno(ENOTDIR, "mkdir", path);
  return {st.st_dev, false};
}

}  // namespace cas::detail
