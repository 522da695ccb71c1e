// What the fault tests share (store_fault_test.cpp, store_real_fault_test.cpp): a FileSystem
// that injects faults into chosen calls, and the files a failure may have left behind.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>

#include "cas/store.hpp"

namespace cas::test {

// Every regular file under `dir` (temp and quarantine areas included), relative, sorted.
inline std::vector<std::string> all_files(const boost::filesystem::path& dir) {
  namespace fs = boost::filesystem;
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) {
      out.push_back(fs::relative(it->path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Injects faults into chosen calls; everything else reaches the real filesystem.
class FaultFs : public FileSystemWrapper {
 public:
  FaultFs() : FileSystemWrapper(FileSystem::posix()) {}

  std::function<int(int fd, std::size_t size, std::size_t* done, const void* buf)> on_write;
  std::function<int(int fd)> on_read;
  std::function<int(int fd)> on_fsync;
  std::function<int(int fd)> on_close;
  bool no_tmpfile = false;
  bool no_link_fd = false;
  // As kernels before 6.0 did on filesystems without POSIX ACLs: O_TMPFILE ignores the umask.
  bool tmpfile_ignores_umask = false;
  std::atomic<int> fsyncs{0};

  int open(const char* path, int flags, mode_t mode, int* fd) override {
    const bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
    if (no_tmpfile && tmpfile) return EOPNOTSUPP;
    int err = FileSystemWrapper::open(path, flags, mode, fd);
    if (err == 0 && tmpfile && tmpfile_ignores_umask) ::fchmod(*fd, mode & 07777);
    return err;
  }
  int write(int fd, const void* buf, std::size_t size, std::size_t* done) override {
    if (on_write) {
      if (int err = on_write(fd, size, done, buf); err >= 0) return err;
    }
    return FileSystemWrapper::write(fd, buf, size, done);
  }
  int read(int fd, void* buf, std::size_t size, std::size_t* done) override {
    if (on_read) {
      if (int err = on_read(fd); err != 0) return err;
    }
    return FileSystemWrapper::read(fd, buf, size, done);
  }
  int fsync(int fd) override {
    ++fsyncs;
    if (on_fsync) {
      if (int err = on_fsync(fd); err != 0) return err;
    }
    return FileSystemWrapper::fsync(fd);
  }
  int close(int fd) override {
    if (on_close) {
      if (int err = on_close(fd); err != 0) {
        FileSystemWrapper::close(fd);
        return err;
      }
    }
    return FileSystemWrapper::close(fd);
  }
  int link_fd(int fd, const char* to) override {
    if (no_link_fd) return ENOENT;
    return FileSystemWrapper::link_fd(fd, to);
  }
};

}  // namespace cas::test
