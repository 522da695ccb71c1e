// Internal: a cache's bounds (CacheLimits, which TrimOptions is too): the one check of them,
// reading a filesystem's space, and what a trim must free to get back above the free-space
// floor (min_free).
//
// Thread-safety: pure functions and one statvfs; callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cas/store.hpp"

namespace cas::detail {

// Throws InvalidArgumentError, the message starting with `who` ("cas::Store: limits", "trim"),
// for a low_water outside (0, 1], a negative max_age, or a min_free of zero bytes or a
// fraction outside (0, 1). No bound at all is valid here (a Store without limits); trim
// requires one itself.
void check_limits(const CacheLimits& limits, const std::string& who);

struct FilesystemSpace {
  std::uint64_t available = 0;  // f_bavail: what unprivileged writers can still use
  std::uint64_t size = 0;       // f_blocks
};

// The space of the filesystem holding `path`, or nullopt when statvfs fails (a missing root).
std::optional<FilesystemSpace> filesystem_space(const std::string& path);

// The bytes a trim must free so that (2 - low_water) times the floor is available (as a size
// bound is trimmed to low_water times itself: the same margin, on the other side); 0 when at
// least the floor is available.
std::uint64_t free_space_deficit(const FreeSpace& floor, double low_water,
                                 const FilesystemSpace& space);

}  // namespace cas::detail
