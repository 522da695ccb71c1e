#include "cas/directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "posix_error.hpp"

namespace cas {

struct Directory::Handle {
  DIR* dir = nullptr;
  ~Handle() {
    if (dir) ::closedir(dir);
  }
};

std::optional<Directory> Entry::directory() const {
  if (type_ != DT_DIR) return std::nullopt;
  return Directory(path());
}

Directory::Directory(const boost::filesystem::path& path)
    : path_(path), handle_(std::make_unique<Handle>()) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_last_error("opendir", path.string());
  handle_->dir = ::fdopendir(fd);
  if (!handle_->dir) {
    int err = errno;
    ::close(fd);
    throw_errno(err, "opendir", path.string());
  }
}

Directory::Directory(Directory&& other) noexcept = default;
Directory& Directory::operator=(Directory&& other) noexcept = default;
Directory::~Directory() = default;

int Directory::fd() const noexcept { return handle_ ? ::dirfd(handle_->dir) : -1; }

Directory::iterator Directory::begin() {
  ::rewinddir(handle_->dir);
  iterator it(this);
  ++it;
  return it;
}

Directory::iterator& Directory::iterator::operator++() {
  DIR* dir = dir_->handle_->dir;
  // readdir returns null both at the end and on error; only errno tells them apart.
  errno = 0;
  const struct dirent* d = ::readdir(dir);
  if (!d) {
    int err = errno;
    if (err != 0) throw_errno(err, "readdir", dir_->path_.string());
    dir_ = nullptr;
    entry_ = Entry();
    return *this;
  }
  unsigned char type = d->d_type;
  if (type == DT_UNKNOWN) {
    // Some filesystems (older xfs, some network ones) do not fill d_type. An entry that vanished
    // before the lstat keeps DT_UNKNOWN: it is still what readdir returned.
    struct stat st;
    if (::fstatat(::dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      type = IFTODT(st.st_mode);
    }
  }
  entry_ = Entry(dir_->path_, d->d_name, d->d_ino, type);
  return *this;
}

}  // namespace cas
