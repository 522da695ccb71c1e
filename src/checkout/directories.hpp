// Internal: the directories of a checkout's destination, made once each and never through a
// symlink, so that no entry can be written outside the root (an attacker-placed symlink inside
// the root would otherwise redirect everything below it).
//
// Thread-safety: make() may be called from many threads at once.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <boost/filesystem/path.hpp>

#include "cas/file_system.hpp"

namespace cas::detail {

// A directory of the destination as make() left it.
struct DestDir {
  dev_t dev = 0;
  // Made by this DirectoryMaker: it was empty then, so a file is made in it without a look
  // first (what another process puts there meanwhile is still found: the file is made there
  // without replacing).
  bool made = false;
};

class DirectoryMaker {
 public:
  DirectoryMaker(FileSystem& fs, boost::filesystem::path root) : fs_(fs), root_(std::move(root)) {}

  // Makes root/rel_dir ("" the root itself, made with its parents and followed if it is a
  // symlink: the caller chose it) and each directory between, and returns its device number and
  // whether it made it. Throws cas::Error naming a component that is a symlink or not a
  // directory; PermissionError/IoError when one cannot be made or examined.
  DestDir make(std::string_view rel_dir);

  const boost::filesystem::path& root() const { return root_; }

 private:
  DestDir make_root();
  DestDir make_one(const std::string& rel_dir, dev_t parent_dev);

  FileSystem& fs_;
  boost::filesystem::path root_;
  std::mutex mutex_;
  std::unordered_map<std::string, DestDir> made_;  // rel_dir -> checked or made
};

}  // namespace cas::detail
