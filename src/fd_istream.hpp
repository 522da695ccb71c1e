// Internal: a std::istream that owns a file descriptor (std::ifstream cannot adopt one, and
// opening by fd lets Store::open tell "vanished" (retry) from other errors by errno).
#pragma once

#include <istream>
#include <memory>
#include <streambuf>
#include <vector>

#include "unique_fd.hpp"

namespace cas {

class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(UniqueFd fd);

 protected:
  int_type underflow() override;
  std::streamsize xsgetn(char* s, std::streamsize n) override;
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override;
  pos_type seekpos(pos_type pos, std::ios_base::openmode mode) override;

 private:
  UniqueFd fd_;
  std::vector<char> buf_;
};

class FdIStream : public std::istream {
 public:
  explicit FdIStream(UniqueFd fd) : std::istream(nullptr), buf_(std::move(fd)) { rdbuf(&buf_); }

 private:
  FdStreamBuf buf_;
};

}  // namespace cas
