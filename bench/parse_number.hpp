// Strict parsing of the benchmark tools' numeric flags: std::stoull accepts "-1" (as 2^64-1),
// "10x" (as 10) and names itself in its errors; a mistyped flag must be a usage error instead.
#pragma once

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace cas::bench {

// Returns `value` as a non-negative decimal integer; throws std::invalid_argument naming
// `flag` for anything else (sign, suffix, empty, out of range).
inline std::uint64_t parse_count(const std::string& flag, const std::string& value) {
  std::uint64_t n = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || ptr != end) {
    throw std::invalid_argument(flag + ": not a non-negative integer: '" + value + "'");
  }
  return n;
}

}  // namespace cas::bench
