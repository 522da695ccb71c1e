// Internal: the system calls that make one file of a checkout appear at its name complete, or
// not at all — a link, a symlink, or a file written by clone or copy into an anonymous temp.
// An existing name is replaced by making the file at a temp name in the same directory
// (".cas-checkout-<pid>-<n>", listed for discard_temp_files_for_exit while it exists) and
// renaming it over.
//
// Thread-safety: every call may be made from many threads at once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "cas/file_system.hpp"

namespace cas::detail {

class FileMaker {
 public:
  explicit FileMaker(FileSystem& fs) : fs_(fs) {}

  // Hard-links `src` at `dest`. Returns 0, or link's errno (EMLINK, EXDEV, ENOENT; EEXIST when
  // something is at `dest` and not `replace`: the caller decides) with nothing left behind.
  // `replace`: replace what is at `dest`, atomically.
  // Throws PermissionError/IoError when the rename over `dest` fails.
  int link(const std::string& src, const std::string& dest, bool replace);

  // Makes `dest` a symlink to `target`; returns and throws as link does.
  int symlink(const std::string& target, const std::string& dest, bool replace);

  // Makes `dest` a file of `mode` (less the umask) holding the `size` bytes of `src_fd` (read
  // from offset 0; an immutable stored file, so its size is known), by FICLONE when `clone`, else
  // by copy_file_range (read/write where the kernel refuses it). Returns 0, EEXIST (as link), or
  // FICLONE's errno when the clone is refused (nothing left behind).
  // Throws PermissionError/IoError naming the path of any other failure (nothing left behind).
  int write(int src_fd, std::uint64_t size, const std::string& dest, mode_t mode, bool clone,
            bool replace);

 private:
  // Makes the file by calling `create` with `dest` (without `replace`) or with a temp name
  // that is then renamed over `dest`. Returns create's errno; throws when the rename fails.
  int place(const std::string& dest, bool replace,
            const std::function<int(const std::string& name)>& create);
  // Copies or clones src_fd's `size` bytes into out_fd; returns FICLONE's errno; throws for
  // copy failures.
  int fill(int src_fd, std::uint64_t size, int out_fd, bool clone, const std::string& dest);
  // Copies by read and write (where the kernel refuses copy_file_range).
  void read_write(int src_fd, int out_fd, const std::string& dest);
  // write() where the filesystem has no O_TMPFILE: a named temp, renamed into place.
  int write_named(int src_fd, std::uint64_t size, const std::string& dest, mode_t mode, bool clone,
                  bool replace);

  FileSystem& fs_;
};

}  // namespace cas::detail
