// UniqueFd: a file descriptor that closes when its owner goes (what Store::open_fd returns, and
// what the library holds its own descriptors in), as std::unique_ptr owns a pointer.
//
// Thread-safety: a value type; one object must not be used from two threads at once without a
// lock. The descriptor itself may be used from any thread.
#pragma once

#include <unistd.h>

#include <utility>

namespace cas {

class UniqueFd {
 public:
  // Owns nothing: get() is -1, and the object tests false.
  UniqueFd() noexcept = default;
  // Owns `fd` (-1: nothing).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The descriptor, still owned; -1 when there is none.
  int get() const noexcept { return fd_; }
  // Whether a descriptor is owned.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Gives up ownership and returns the descriptor: the caller closes it.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the current descriptor (errors ignored: nothing useful can be done after close) and
  // takes ownership of `fd`.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace cas
