// The one check of a cache's bounds; the free-space floor's arithmetic and the one statvfs
// behind it.
#include "store/cache_limits.hpp"

#include <sys/statvfs.h>

#include "cas/errors.hpp"

namespace cas::detail {

namespace {

void check_free_space(const FreeSpace& floor, const std::string& who) {
  if (floor.fraction != 0) {
    if (!(floor.fraction > 0 && floor.fraction < 1)) {
      throw InvalidArgumentError(who +
                                 ".min_free: the fraction of the filesystem must be in (0, 1)");
    }
  } else if (floor.bytes == 0) {
    throw InvalidArgumentError(who + ".min_free: zero bytes is no floor");
  }
}

}  // namespace

void check_limits(const CacheLimits& limits, const std::string& who) {
  if (!(limits.low_water > 0 && limits.low_water <= 1)) {
    throw InvalidArgumentError(who + ".low_water: the low-water mark must be in (0, 1]");
  }
  if (limits.max_age && limits.max_age->count() < 0) {
    throw InvalidArgumentError(who + ".max_age: negative age");
  }
  if (limits.min_free) check_free_space(*limits.min_free, who);
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
