// Internal: the one directory reader under cas — the Walker's and Directory's. getdents64
// fills a caller's buffer with many entries per system call (readdir's DIR hides the buffer
// and its errors), then the entries are taken one by one.
//
// Thread-safety: a DirentReader belongs to one thread at a time.
#pragma once

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace cas::detail {

// One directory entry as getdents64 returns it ("." and ".." included).
struct RawDirent {
  const char* name;  // valid until the next fill()
  ino_t ino;
  unsigned char type;  // DT_*; DT_UNKNOWN where the filesystem does not say
};

inline bool is_dot_or_dotdot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

class DirentReader {
 public:
  // Reads into `buffer` of `size` bytes, which the caller owns and keeps alive.
  DirentReader(char* buffer, std::size_t size) : buffer_(buffer), size_(size) {}

  // Reads the next entries of the directory open as `fd` (EINTR is retried). Returns 0 or the
  // errno of getdents64 (ENOENT: the directory was removed while being read).
  int fill(int fd) {
    long n;
    do {
      n = ::syscall(SYS_getdents64, fd, buffer_, size_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    length_ = static_cast<std::size_t>(n);
    pos_ = 0;
    last_off_ = 0;
    filled_ = true;
    return 0;
  }

  // Takes the next entry of the last fill(); false when they are used up.
  bool next(RawDirent* out) {
    if (pos_ >= length_) return false;
    const auto* d = reinterpret_cast<const LinuxDirent64*>(buffer_ + pos_);
    pos_ += d->d_reclen;
    last_off_ = d->d_off;
    *out = RawDirent{d->d_name, static_cast<ino_t>(d->d_ino), d->d_type};
    return true;
  }

  // After the entries of a fill() are used up: whether the directory has no more (the fill
  // returned none, or its last entry carries the end-of-directory mark), so no further
  // getdents64 is needed.
  bool at_end() const { return filled_ && (length_ == 0 || last_off_ == kEndOfDirectory); }

  // Forgets what was read (after the caller rewinds the directory with lseek).
  void reset() {
    length_ = pos_ = 0;
    filled_ = false;
  }

 private:
  struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
  };

  // The position a filesystem gives after the last entry when it says "nothing follows":
  // ext4's hashed directories (EXT4_HTREE_EOF_64BIT, every directory of one block included),
  // btrfs past INT_MAX. No entry can sit there, so a read whose last d_off is this saw the end
  // of the directory and the getdents64 call that would return 0 can be skipped (one syscall
  // per directory: 5-7% of a warm V0 walk). Other filesystems just take that extra call.
  static constexpr std::int64_t kEndOfDirectory = INT64_MAX;

  char* buffer_;
  std::size_t size_;
  std::size_t length_ = 0;
  std::size_t pos_ = 0;
  std::int64_t last_off_ = 0;
  bool filled_ = false;
};

}  // namespace cas::detail
