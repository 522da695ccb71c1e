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

class DirectoryMaker {
 public:
  DirectoryMaker(FileSystem& fs, boost::filesystem::path root) : fs_(fs), root_(std::move(root)) {}

  // Makes root/rel_dir ("" the root itself, made with its parents and followed if it is a
  // symlink: the caller chose it) and each directory between, and returns its device number.
  // Throws cas::Error naming a component that is a symlink or not a directory;
  // PermissionError/IoError when one cannot be made or examined.
  dev_t make(std::string_view rel_dir);

  const boost::filesystem::path& root() const { return root_; }

 private:
  dev_t make_root();
  dev_t make_one(const std::string& rel_dir);

  FileSystem& fs_;
  boost::filesystem::path root_;
  std::mutex mutex_;
  std::unordered_map<std::string, dev_t> made_;  // rel_dir -> device, checked or made
};

}  // namespace cas::detail
