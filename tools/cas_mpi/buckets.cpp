#include "buckets.hpp"

namespace cas::mpi {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not a hash digit in a store
}

}  // namespace

std::size_t bucket_of(std::string_view name) {
  if (name.size() != 2) return kRestBucket;
  const int hi = hex_value(name[0]), lo = hex_value(name[1]);
  if (hi < 0 || lo < 0) return kRestBucket;
  return static_cast<std::size_t>(hi * 16 + lo);
}

std::string bucket_name(std::size_t bucket) {
  if (bucket >= kRestBucket) return "rest";
  static const char kDigits[] = "0123456789abcdef";
  return {kDigits[bucket / 16], kDigits[bucket % 16]};
}

std::function<bool(std::string_view)> bucket_scope(std::size_t bucket) {
  return [bucket](std::string_view name) { return bucket_of(name) == bucket; };
}

}  // namespace cas::mpi
