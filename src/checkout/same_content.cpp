// Whether a destination already holds what a checkout would make (materialize.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"
#include "checkout/materialize.hpp"

namespace cas::detail {
namespace {

UniqueFd open_for_reading(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw_errno(errno, "open", path);
  return fd;
}

// Reads up to `size` bytes (fewer only at the end of the file).
std::size_t read_full(int fd, char* buf, std::size_t size, const std::string& path) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno(errno, "read", path);
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

bool same_bytes(const std::string& a_path, const std::string& b_path) {
  UniqueFd a = open_for_reading(a_path);
  UniqueFd b = open_for_reading(b_path);
  std::vector<char> x(1 << 16), y(1 << 16);
  for (;;) {
    const std::size_t n = read_full(a.get(), x.data(), x.size(), a_path);
    const std::size_t m = read_full(b.get(), y.data(), y.size(), b_path);
    if (n != m || std::memcmp(x.data(), y.data(), n) != 0) return false;
    if (n == 0) return true;
  }
}

}  // namespace

bool already_there(const StoredFile& src, const std::string& dest, const struct stat& there,
                   bool executable, LinkMode mode) {
  if (mode == LinkMode::symlink) {
    if (!S_ISLNK(there.st_mode)) return false;
    std::string target(src.path.size() + 1, '\0');
    const ssize_t n = ::readlink(dest.c_str(), target.data(), target.size());
    return n == static_cast<ssize_t>(src.path.size()) && target.compare(0, n, src.path) == 0;
  }
  if (!S_ISREG(there.st_mode) || ((there.st_mode & S_IXUSR) != 0) != executable) return false;
  if (there.st_dev == src.st.st_dev && there.st_ino == src.st.st_ino) return true;
  return there.st_size == src.st.st_size && same_bytes(src.path, dest);
}

}  // namespace cas::detail
