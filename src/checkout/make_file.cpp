// Making one checked-out file appear complete at its name (make_file.hpp).
#include "checkout/make_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"
#include "store/named_temps.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {
namespace {

std::string temp_name(const std::string& dest) {
  static std::atomic<unsigned long> counter{0};
  const std::string dir(parent_of(dest));
  return dir + "/.cas-checkout-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Closes through the seam, so an injected close error is seen.
void close_checked(FileSystem& fs, UniqueFd& fd, const std::string& path) {
  if (int err = fs.close(fd.release()); err != 0) throw_errno(err, "close", path);
}

}  // namespace

int FileMaker::place(const std::string& dest, bool replace,
                     const std::function<int(const std::string& name)>& create) {
  if (!replace) return create(dest);  // EEXIST too: the caller looks at what is there
  // A temp name left by a dead process whose pid this one has now is skipped.
  std::string temp;
  int err = EEXIST;
  for (int attempt = 0; attempt < 3 && err == EEXIST; ++attempt) {
    if (!temp.empty()) erase_named_temp(temp);
    temp = temp_name(dest);
    add_named_temp(temp);
    err = create(temp);
  }
  if (err != 0) {
    erase_named_temp(temp);
    return err;
  }
  const int renamed = fs_.rename(temp.c_str(), dest.c_str());
  // After a failed rename, and after rename(2) of two names of one inode, which succeeds doing
  // nothing, the temp name is still there.
  fs_.unlink(temp.c_str());
  erase_named_temp(temp);
  if (renamed != 0) throw_errno(renamed, "rename", temp + " -> " + dest);
  return 0;
}

int FileMaker::link(const std::string& src, const std::string& dest, bool replace) {
  return place(dest, replace,
               [&](const std::string& name) { return fs_.link(src.c_str(), name.c_str()); });
}

int FileMaker::symlink(const std::string& target, const std::string& dest, bool replace) {
  return place(dest, replace,
               [&](const std::string& name) { return fs_.symlink(target.c_str(), name.c_str()); });
}

int FileMaker::fill(int src_fd, std::uint64_t size, int out_fd, bool clone,
                    const std::string& dest) {
  if (clone) return fs_.clone(src_fd, out_fd);
  // Up to the known size, so that the usual copy is one call (not a second one to see the end).
  for (std::uint64_t copied = 0; copied < size;) {
    std::size_t done = 0;
    const int err = fs_.copy_range(src_fd, out_fd, std::size_t{1} << 30, &done);
    if (err == 0 && done == 0) return 0;
    if (err == 0) {
      copied += done;
      continue;
    }
    // Kernels refuse some pairs of filesystems (EXDEV) and some files (EINVAL): read and write.
    if (copied > 0 || (err != EXDEV && err != EINVAL && err != ENOSYS && err != EOPNOTSUPP)) {
      throw_errno(err, "copy_file_range", dest);
    }
    read_write(src_fd, out_fd, dest);
    return 0;
  }
  return 0;
}

void FileMaker::read_write(int src_fd, int out_fd, const std::string& dest) {
  std::vector<char> buffer(1 << 17);
  for (;;) {
    std::size_t done = 0;
    if (int err = fs_.read(src_fd, buffer.data(), buffer.size(), &done); err != 0) {
      throw_errno(err, "read for", dest);
    }
    if (done == 0) return;
    for (std::size_t off = 0; off < done;) {
      std::size_t wrote = 0;
      int err = fs_.write(out_fd, buffer.data() + off, done - off, &wrote);
      if (err != 0) throw_errno(err, "write", dest);
      off += wrote;
    }
  }
}

int FileMaker::write(int src_fd, std::uint64_t size, const std::string& dest, mode_t mode,
                     bool clone, bool replace) {
  const std::string dir(parent_of(dest));
  int raw = -1;
  int err = fs_.open(dir.c_str(), O_TMPFILE | O_WRONLY, mode, &raw);
  if (err == EOPNOTSUPP || err == EISDIR) {
    return write_named(src_fd, size, dest, mode, clone, replace);
  }
  if (err != 0) throw_errno(err, "open O_TMPFILE in", dir);
  UniqueFd out(raw);
  if (err = fill(src_fd, size, out.get(), clone, dest); err != 0) return err;
  err = place(dest, replace,
              [&](const std::string& name) { return fs_.link_fd(out.get(), name.c_str()); });
  if (err != 0 && err != EEXIST) throw_errno(err, "link", dest);
  close_checked(fs_, out, dest);
  return err;
}

int FileMaker::write_named(int src_fd, std::uint64_t size, const std::string& dest, mode_t mode,
                           bool clone, bool replace) {
  const std::string temp = temp_name(dest);
  add_named_temp(temp);
  int raw = -1;
  int err = fs_.open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode, &raw);
  if (err != 0) {
    erase_named_temp(temp);
    throw_errno(err, "open", temp);
  }
  UniqueFd out(raw);
  try {
    err = fill(src_fd, size, out.get(), clone, dest);
    close_checked(fs_, out, temp);
    if (err == 0) {
      // Without `replace`, never over what another made meanwhile: link, then drop the temp.
      const int r =
          replace ? fs_.rename(temp.c_str(), dest.c_str()) : fs_.link(temp.c_str(), dest.c_str());
      if (r == EEXIST && !replace)
        err = EEXIST;
      else if (r != 0)
        throw_errno(r, replace ? "rename" : "link", dest);
      if (!replace) fs_.unlink(temp.c_str());
    }
  } catch (...) {
    fs_.unlink(temp.c_str());
    erase_named_temp(temp);
    throw;
  }
  if (err != 0) fs_.unlink(temp.c_str());
  erase_named_temp(temp);
  return err;
}

}  // namespace cas::detail
