// UniqueFile: an owned file descriptor, closed on destruction (the checkpoint's).
#pragma once

#include <unistd.h>

#include <utility>

namespace cas::mpi {

class UniqueFile {
 public:
  UniqueFile() = default;
  explicit UniqueFile(int fd) : fd_(fd) {}
  ~UniqueFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFile(UniqueFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFile& operator=(UniqueFile&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace cas::mpi
