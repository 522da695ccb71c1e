// Hash validation: the single gate every hash passes before it becomes a path.
#include <array>
#include <string>
#include <string_view>

#include "cas/errors.hpp"
#include "cas/layout.hpp"

namespace cas {
namespace {

// Returns nullptr when valid, else the reason. Only [0-9a-f] passes, which rules out '/', '.',
// NUL, whitespace and uppercase, so a valid hash can never form "..", an absolute path or a
// separator.
const char* invalid_reason(std::string_view hash, std::size_t min_length) noexcept {
  if (min_length == 0) min_length = 1;
  if (hash.empty()) return "empty";
  if (hash.size() > kMaxHashLength) return "longer than 128 characters";
  // One table load per character and a single branch at the end: every lookup, open and
  // insert passes here (twice: the Store and the layout), so it shows in cas-bench's open.
  static constexpr auto kHex = [] {
    std::array<bool, 256> t{};
    for (char c : std::string_view("0123456789abcdef")) t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  bool all_hex = true;
  for (char c : hash) all_hex &= kHex[static_cast<unsigned char>(c)];
  if (!all_hex) return "not lowercase hexadecimal";
  if (hash.size() < min_length) return "shorter than the layout's prefix";
  return nullptr;
}

}  // namespace

void validate_hash(std::string_view hash, std::size_t min_length) {
  if (const char* why = invalid_reason(hash, min_length)) {
    std::string reason = why;
    if (hash.size() < min_length && hash.size() > 0 && hash.size() <= kMaxHashLength) {
      reason += " (" + std::to_string(min_length) + " characters)";
    }
    throw InvalidHashError(std::string(hash), reason);
  }
}

bool is_valid_hash(std::string_view hash, std::size_t min_length) noexcept {
  return invalid_reason(hash, min_length) == nullptr;
}

}  // namespace cas
