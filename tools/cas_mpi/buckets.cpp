#include "buckets.hpp"

#include "store/scope.hpp"

namespace cas::mpi {
namespace {

unsigned g_split = 1;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not a hash digit in a store
}

// The prefix (0 ... 255) of a top-level name, or -1 for the rest.
int prefix_of(std::string_view name) {
  if (name.size() != 2) return -1;
  const int hi = hex_value(name[0]), lo = hex_value(name[1]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

unsigned split_for(int ranks) {
  unsigned split = 1;
  while (split < kMaxSplit && 256 * split < kBucketsPerRank * static_cast<std::size_t>(ranks)) {
    split *= 2;
  }
  return split;
}

bool valid_split(unsigned split) {
  return split >= 1 && split <= kMaxSplit && (split & (split - 1)) == 0;
}

void set_split(unsigned split) { g_split = split; }
unsigned split() { return g_split; }

std::size_t bucket_count() { return 256 * g_split + 1; }
std::size_t rest_bucket() { return 256 * g_split; }

std::string bucket_name(std::size_t bucket) {
  if (bucket >= rest_bucket()) return "rest";
  static const char kDigits[] = "0123456789abcdef";
  const std::size_t prefix = bucket / g_split;
  std::string name{kDigits[prefix / 16], kDigits[prefix % 16]};
  if (g_split > 1) name += '.' + std::to_string(bucket % g_split);
  return name;
}

std::optional<std::size_t> bucket_by_name(std::string_view name) {
  if (name == "rest") return rest_bucket();
  const int prefix = prefix_of(name.substr(0, 2));
  if (prefix < 0) return std::nullopt;
  std::size_t part = 0;
  if (g_split > 1) {
    if (name.size() < 4 || name[2] != '.') return std::nullopt;
    const std::string digits(name.substr(3));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        digits.size() > 2) {
      return std::nullopt;
    }
    part = std::stoul(digits);
    if (part >= g_split) return std::nullopt;
  } else if (name.size() != 2) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(prefix) * g_split + part;
}

unsigned part_of(std::string_view top, std::string_view name) {
  // A file named by its whole hash (longer than any directory level) starts with the prefix:
  // its next digit is h[2]. A subdirectory of v0 or a fanout layout starts at h[2].
  const bool whole_hash = name.size() > 8 && name.substr(0, top.size()) == top;
  const int digit = hex_value(whole_hash ? name[top.size()] : name.empty() ? 'x' : name[0]);
  return digit < 0 ? 0 : static_cast<unsigned>(digit) * g_split / 16;
}

bool covers_top(std::size_t bucket, std::string_view top) {
  const int prefix = prefix_of(top);
  if (prefix < 0) return bucket == rest_bucket();
  return bucket != rest_bucket() && bucket / g_split == static_cast<std::size_t>(prefix);
}

void limit_to(OperationOptions& options, std::size_t bucket) {
  detail::Scope scope;
  scope.top = [bucket](std::string_view top) { return covers_top(bucket, top); };
  if (g_split > 1 && bucket != rest_bucket()) {
    const unsigned part = static_cast<unsigned>(bucket % g_split);
    scope.sub = [part](std::string_view top, std::string_view name) {
      return name.empty() ? part == 0 : part_of(top, name) == part;
    };
  }
  detail::set_scope(options, std::move(scope));
}

}  // namespace cas::mpi
