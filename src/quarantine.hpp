// Internal: moving a corrupt file aside, into the store's quarantine area.
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace cas::detail {

// Renames `from` (relative to from_fd) to `<area>/<name>[.N]` (relative to area_fd), creating
// the area, never replacing an earlier quarantined copy. Returns 0 or an errno value.
inline int quarantine_file(int from_fd, const std::string& from, int area_fd,
                           const std::string& area, std::string_view name) {
  if (::mkdirat(area_fd, area.c_str(), 0777) != 0 && errno != EEXIST) return errno;
  for (int n = 0; n < 1000; ++n) {
    std::string target = area + "/" + std::string(name) + (n ? "." + std::to_string(n) : "");
    if (::renameat2(from_fd, from.c_str(), area_fd, target.c_str(), RENAME_NOREPLACE) == 0) {
      return 0;
    }
    if (errno != EEXIST) return errno;
  }
  return EEXIST;
}

}  // namespace cas::detail
