// The default FileSystem: direct system calls. EINTR is retried here so callers never see it
// from calls that are safe to restart.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "cas/file_system.hpp"

namespace cas {
namespace {

class PosixFileSystem final : public FileSystem {
 public:
  int open(const char* path, int flags, mode_t mode, int* fd) override {
    int r;
    do {
      r = ::open(path, flags | O_CLOEXEC, mode);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    *fd = r;
    return 0;
  }
  // close(2) must not be retried on EINTR on Linux: the descriptor is already gone.
  int close(int fd) override { return ::close(fd) == 0 ? 0 : errno; }
  int read(int fd, void* buf, std::size_t size, std::size_t* done) override {
    ssize_t r;
    do {
      r = ::read(fd, buf, size);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    *done = static_cast<std::size_t>(r);
    return 0;
  }
  int write(int fd, const void* buf, std::size_t size, std::size_t* done) override {
    ssize_t r;
    do {
      r = ::write(fd, buf, size);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    *done = static_cast<std::size_t>(r);
    return 0;
  }
  int fsync(int fd) override {
    int r;
    do {
      r = ::fsync(fd);
    } while (r < 0 && errno == EINTR);
    return r == 0 ? 0 : errno;
  }
  int fstat(int fd, struct stat* st) override { return ::fstat(fd, st) == 0 ? 0 : errno; }
  int lstat(const char* path, struct stat* st) override {
    return ::lstat(path, st) == 0 ? 0 : errno;
  }
  int rename(const char* from, const char* to) override {
    return ::rename(from, to) == 0 ? 0 : errno;
  }
  int link(const char* from, const char* to) override { return ::link(from, to) == 0 ? 0 : errno; }
  int link_fd(int fd, const char* to) override {
    // AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH; the /proc link works for everyone.
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    return ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
  }
  int unlink(const char* path) override { return ::unlink(path) == 0 ? 0 : errno; }
  int mkdir(const char* path, mode_t mode) override { return ::mkdir(path, mode) == 0 ? 0 : errno; }
  int rmdir(const char* path) override { return ::rmdir(path) == 0 ? 0 : errno; }
  int touch(const char* path) override {
    // Null times: both to now, allowed to the owner and to anyone who may write the file.
    return ::utimensat(AT_FDCWD, path, nullptr, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
  }
  int clone(int src_fd, int dst_fd) override {
    return ::ioctl(dst_fd, FICLONE, src_fd) == 0 ? 0 : errno;
  }
  int copy_range(int src_fd, int dst_fd, std::size_t size, std::size_t* done) override {
    ssize_t r;
    do {
      r = ::copy_file_range(src_fd, nullptr, dst_fd, nullptr, size, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    *done = static_cast<std::size_t>(r);
    return 0;
  }
  int symlink(const char* target, const char* path) override {
    return ::symlink(target, path) == 0 ? 0 : errno;
  }
  int chmod(const char* path, mode_t mode) override { return ::chmod(path, mode) == 0 ? 0 : errno; }
};

}  // namespace

std::shared_ptr<FileSystem> FileSystem::posix() {
  static const auto kPosix = std::make_shared<PosixFileSystem>();
  return kPosix;
}

}  // namespace cas
