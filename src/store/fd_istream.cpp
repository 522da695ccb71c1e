#include "store/fd_istream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cas {
namespace {
constexpr std::size_t kMinBuffer = 4 * 1024;
constexpr std::size_t kMaxBuffer = 64 * 1024;

ssize_t read_retrying(int fd, char* buf, std::size_t n) {
  ssize_t r;
  do {
    r = ::read(fd, buf, n);
  } while (r < 0 && errno == EINTR);
  return r;
}
}  // namespace

FdStreamBuf::FdStreamBuf(UniqueFd fd, std::size_t size_hint)
    : fd_(std::move(fd)),
      // One more byte than the file, so reading it whole is one read(2).
      size_(
          std::clamp(size_hint < kMaxBuffer ? size_hint + 1 : kMaxBuffer, kMinBuffer, kMaxBuffer)),
      buf_(new char[size_]) {
  setg(buf_.get(), buf_.get(), buf_.get());
}

FdStreamBuf::int_type FdStreamBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  ssize_t got = read_retrying(fd_.get(), buf_.get(), size_);
  // A read error surfaces as end-of-file with badbit: istream has no errno channel.
  if (got <= 0) return traits_type::eof();
  setg(buf_.get(), buf_.get(), buf_.get() + got);
  return traits_type::to_int_type(*gptr());
}

std::streamsize FdStreamBuf::xsgetn(char* s, std::streamsize n) {
  std::streamsize done = 0;
  // Drain the buffer, then read large requests straight into the caller's memory.
  std::streamsize buffered = egptr() - gptr();
  if (buffered > 0) {
    std::streamsize take = std::min(buffered, n);
    std::memcpy(s, gptr(), static_cast<std::size_t>(take));
    gbump(static_cast<int>(take));
    done += take;
  }
  while (done < n) {
    if (n - done >= static_cast<std::streamsize>(size_)) {
      ssize_t got = read_retrying(fd_.get(), s + done, static_cast<std::size_t>(n - done));
      if (got <= 0) break;
      done += got;
    } else {
      if (traits_type::eq_int_type(underflow(), traits_type::eof())) break;
      std::streamsize take = std::min<std::streamsize>(egptr() - gptr(), n - done);
      std::memcpy(s + done, gptr(), static_cast<std::size_t>(take));
      gbump(static_cast<int>(take));
      done += take;
    }
  }
  return done;
}

FdStreamBuf::pos_type FdStreamBuf::seekoff(off_type off, std::ios_base::seekdir dir,
                                           std::ios_base::openmode) {
  int whence = dir == std::ios_base::beg   ? SEEK_SET
               : dir == std::ios_base::cur ? SEEK_CUR
                                           : SEEK_END;
  if (dir == std::ios_base::cur) off -= egptr() - gptr();  // the fd is ahead of the reader
  off_t r = ::lseek(fd_.get(), off, whence);
  setg(buf_.get(), buf_.get(), buf_.get());
  if (r < 0) return pos_type(off_type(-1));
  return pos_type(r);
}

FdStreamBuf::pos_type FdStreamBuf::seekpos(pos_type pos, std::ios_base::openmode mode) {
  return seekoff(off_type(pos), std::ios_base::beg, mode);
}

}  // namespace cas
