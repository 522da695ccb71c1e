// The free-space floor's arithmetic and the one statvfs behind it.
#include "store/free_space.hpp"

#include <sys/statvfs.h>

#include "cas/errors.hpp"

namespace cas::detail {

void check_free_space(const FreeSpace& floor, const std::string& what) {
  if (floor.fraction != 0) {
    if (!(floor.fraction > 0 && floor.fraction < 1)) {
      throw InvalidArgumentError(what + ": the fraction of the filesystem must be in (0, 1)");
    }
  } else if (floor.bytes == 0) {
    throw InvalidArgumentError(what + ": zero bytes is no floor");
  }
}

std::optional<FilesystemSpace> filesystem_space(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  const std::uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
  return FilesystemSpace{static_cast<std::uint64_t>(st.f_bavail) * unit,
                         static_cast<std::uint64_t>(st.f_blocks) * unit};
}

std::uint64_t free_space_deficit(const FreeSpace& floor, double low_water,
                                 const FilesystemSpace& space) {
  const std::uint64_t bytes = floor.on(space.size);
  if (space.available >= bytes) return 0;
  const auto target = static_cast<std::uint64_t>(static_cast<double>(bytes) * (2 - low_water));
  return target - space.available;
}

}  // namespace cas::detail
