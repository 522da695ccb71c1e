// Internal: moving a corrupt file aside, into the store's quarantine area.
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace cas::detail {

// The file was replaced under its name while it was being checked: nothing was quarantined.
constexpr int kReplacedMeanwhile = -1;

// Renames `from` (relative to from_fd) to `<area>/<name>[.N]` (relative to area_fd), creating
// the area, never replacing an earlier quarantined copy. `checked` is the fstat of the
// descriptor whose content was found corrupt: the rename works by name, and a writer may have
// published a good copy under that name meanwhile; such a file is put back (unless yet
// another has been published since) and kReplacedMeanwhile returned. Returns 0 or an errno.
inline int quarantine_file(int from_fd, const std::string& from, int area_fd,
                           const std::string& area, std::string_view name,
                           const struct stat& checked) {
  if (::mkdirat(area_fd, area.c_str(), 0777) != 0 && errno != EEXIST) return errno;
  for (int n = 0; n < 1000; ++n) {
    std::string target = area + "/" + std::string(name) + (n ? "." + std::to_string(n) : "");
    if (::renameat2(from_fd, from.c_str(), area_fd, target.c_str(), RENAME_NOREPLACE) == 0) {
      struct stat moved;
      if (::fstatat(area_fd, target.c_str(), &moved, AT_SYMLINK_NOFOLLOW) == 0 &&
          (moved.st_ino != checked.st_ino || moved.st_dev != checked.st_dev)) {
        // Not the file we checked. link() does not replace: a newer copy at the name wins.
        ::linkat(area_fd, target.c_str(), from_fd, from.c_str(), 0);
        ::unlinkat(area_fd, target.c_str(), 0);
        return kReplacedMeanwhile;
      }
      return 0;
    }
    if (errno != EEXIST) return errno;
  }
  return EEXIST;
}

}  // namespace cas::detail
