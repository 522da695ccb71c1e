// Internal: the store's temp area, root/.cas-tmp, where bytes are written before they get
// their name. Anonymous (O_TMPFILE) files where the filesystem has them — a writer that dies
// leaves nothing behind — and uniquely named files elsewhere; stale named files of crashed
// writers are reaped.
//
// Thread-safety: every call may be made from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "cas/file_system.hpp"
#include "store/named_temps.hpp"

namespace cas::detail {

// Removes a temp file (and closes its descriptor) unless released: every failure path of a
// write leaves nothing behind.
class TempGuard {
 public:
  TempGuard(FileSystem& fs, std::string path, int fd) : fs_(fs), path_(std::move(path)), fd_(fd) {}
  ~TempGuard() {
    if (fd_ >= 0) fs_.close(fd_);
    if (!path_.empty()) {
      fs_.unlink(path_.c_str());
      erase_named_temp(path_);
    }
  }
  TempGuard(TempGuard&& other) noexcept
      : fs_(other.fs_), path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {
    other.path_.clear();
  }
  TempGuard& operator=(TempGuard&&) = delete;
  int fd() const { return fd_; }
  // Closes the descriptor, returning the close error (NFS reports write-back errors here).
  int close() { return fs_.close(std::exchange(fd_, -1)); }
  void set_path(std::string path) { path_ = std::move(path); }
  // Hands the temp file (and descriptor, if still open) over to the caller, who erases a named
  // one from the list of named temps (named_temps.hpp) once it has its final name.
  void release() {
    path_.clear();
    fd_ = -1;
  }

 private:
  FileSystem& fs_;
  std::string path_;
  int fd_;
};

// Removes the file `name` in the directory `dir_fd` if it is a regular file whose mtime is
// older than `cutoff`, re-stating it just before deciding (as Bazel's disk-cache collector
// does): a writer that is still active keeps its file's mtime fresh. Returns 0 when it was
// removed, kKeptTemp when it stays (fresh, not a regular file, or gone), or the errno of the
// unlink that failed (ENOENT: removed by someone else meanwhile).
inline constexpr int kKeptTemp = -1;
int reap_if_stale(int dir_fd, const std::string& name, std::time_t cutoff);

// mkdir -p of a store's root through `fs` (EEXIST is success). Throws PermissionError/IoError.
void create_root(FileSystem& fs, const std::string& root);

class TempArea {
 public:
  // The temp area of the store at `root` (absolute, canonical), written through `fs`; the first
  // create() reaps temps older than `reap_age` (zero: never).
  TempArea(const std::string& root, std::shared_ptr<FileSystem> fs, std::chrono::seconds reap_age);

  // The absolute path of the temp area.
  std::string dir() const;

  // Opens a new temp file for reading and writing into *fd: returns its path, or "" for an
  // anonymous (O_TMPFILE) one. A named one is listed in named_temps.hpp (the caller erases it once
  // it is renamed; a TempGuard does when it unlinks it). Creates the root and the area when
  // missing; the first call reaps stale temps (StoreOptions::reap_temp_older_than). Throws
  // PermissionError/IoError.
  std::string create(int* fd);

  // A fresh, unused absolute name in the temp area (nothing is created).
  std::string new_name() const;

  // Creates the temp area (and the root) again: it may be removed while a file is written.
  void recreate();

  // What an error message names for the temp file `temp` ("" for an anonymous one).
  std::string display(const std::string& temp) const;

  // Store::reap_temp: removes regular files older than `older_than` by mtime, each re-stated
  // just before it goes. Returns how many went. Throws PermissionError/IoError when the area
  // cannot be read.
  std::size_t reap(std::chrono::seconds older_than);

 private:
  // Whether this filesystem supports anonymous temp files (O_TMPFILE + linkat through
  // /proc/self/fd), learnt by the first write.
  enum class Tmpfile { unknown, supported, unsupported };

  // Decides whether anonymous temps are used, on an empty anonymous file of its own (so that
  // the first write's bytes never have a name either): it must be linkable through
  // /proc/self/fd and get the mode a named file would. Leaves no file behind.
  // Throws IoError for a failure of the moment (ENOSPC, EMFILE...), not a missing feature.
  void probe_tmpfile(const std::string& area);

  const std::string root_;
  const std::string dir_;  // root_/.cas-tmp
  const std::shared_ptr<FileSystem> fs_;
  const std::chrono::seconds reap_age_;
  std::atomic<Tmpfile> tmpfile_{Tmpfile::unknown};
  std::atomic<bool> reaped_{false};
};

}  // namespace cas::detail
