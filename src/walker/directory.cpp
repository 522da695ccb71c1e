#include "cas/directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "cas/unique_fd.hpp"
#include "util/posix_error.hpp"
#include "walker/dirent_reader.hpp"

namespace cas {
namespace {

// As glibc's readdir buffer: a few hundred entries per getdents64 call.
constexpr std::size_t kBufferSize = 32 * 1024;

}  // namespace

struct Directory::Handle {
  UniqueFd fd;
  std::unique_ptr<char[]> buffer{new char[kBufferSize]};
  detail::DirentReader reader{buffer.get(), kBufferSize};
};

std::optional<Directory> Entry::directory() const {
  if (type_ != DT_DIR) return std::nullopt;
  return Directory(path());
}

Directory::Directory(const boost::filesystem::path& path)
    : path_(path), handle_(std::make_unique<Handle>()) {
  handle_->fd.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!handle_->fd) throw_last_error("opendir", path.string());
}

Directory::Directory(Directory&& other) noexcept = default;
Directory& Directory::operator=(Directory&& other) noexcept = default;
Directory::~Directory() = default;

int Directory::fd() const noexcept { return handle_ ? handle_->fd.get() : -1; }

Directory::iterator Directory::begin() {
  if (::lseek(handle_->fd.get(), 0, SEEK_SET) != 0) throw_last_error("seek", path_.string());
  handle_->reader.reset();
  iterator it(this);
  ++it;
  return it;
}

Directory::iterator& Directory::iterator::operator++() {
  Handle& h = *dir_->handle_;
  detail::RawDirent d;
  while (!h.reader.next(&d)) {
    if (!h.reader.at_end()) {
      if (int err = h.reader.fill(h.fd.get()); err != 0) {
        throw_errno(err, "getdents64", dir_->path_.string());
      }
      continue;
    }
    dir_ = nullptr;
    entry_ = Entry();
    return *this;
  }
  unsigned char type = d.type;
  if (type == DT_UNKNOWN) {
    // Some filesystems (older xfs, some network ones) do not fill d_type. An entry that vanished
    // before the lstat keeps DT_UNKNOWN: it is still what the directory listed.
    struct stat st;
    if (::fstatat(h.fd.get(), d.name, &st, AT_SYMLINK_NOFOLLOW) == 0) type = IFTODT(st.st_mode);
  }
  entry_ = Entry(dir_->path_, d.name, d.ino, type);
  return *this;
}

}  // namespace cas
