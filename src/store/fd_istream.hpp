// Internal: a std::istream that owns a file descriptor (std::ifstream cannot adopt one): the
// stream Store::open returns on the descriptor Store::open_fd opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <streambuf>

#include "cas/unique_fd.hpp"

namespace cas {

class FdStreamBuf : public std::streambuf {
 public:
  // `size_hint`, the file's size when known, sizes the buffer (4 KiB to 64 KiB): a small file's
  // open must not pay for zeroing and faulting in 64 KiB it will never use.
  explicit FdStreamBuf(UniqueFd fd, std::size_t size_hint = SIZE_MAX);

 protected:
  int_type underflow() override;
  std::streamsize xsgetn(char* s, std::streamsize n) override;
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override;
  pos_type seekpos(pos_type pos, std::ios_base::openmode mode) override;

 private:
  UniqueFd fd_;
  std::size_t size_;
  std::unique_ptr<char[]> buf_;  // not value-initialized: read() fills what is used
};

class FdIStream : public std::istream {
 public:
  explicit FdIStream(UniqueFd fd, std::size_t size_hint = SIZE_MAX)
      : std::istream(nullptr), buf_(std::move(fd), size_hint) {
    rdbuf(&buf_);
  }

 private:
  FdStreamBuf buf_;
};

}  // namespace cas
