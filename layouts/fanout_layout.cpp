#include <utility>

#include "cas/errors.hpp"
#include "cas/layout.hpp"

namespace cas {
namespace {

constexpr std::size_t kMaxLevels = 8;
constexpr std::size_t kMaxWidth = 32;

std::string default_name(const std::vector<std::size_t>& widths) {
  std::string name = "fanout:";
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i) name += ',';
    name += std::to_string(widths[i]);
  }
  return name;
}

std::vector<std::size_t> checked(std::vector<std::size_t> widths) {
  if (widths.empty() || widths.size() > kMaxLevels) {
    throw InvalidArgumentError("a fanout layout needs 1 to 8 directory levels");
  }
  for (auto w : widths) {
    if (w == 0 || w > kMaxWidth) {
      throw InvalidArgumentError("a fanout directory level is 1 to 32 characters wide");
    }
  }
  return widths;
}

}  // namespace

FanoutLayout::FanoutLayout(std::vector<std::size_t> widths, std::string name)
    : widths_(checked(std::move(widths))), prefix_(0) {
  for (auto w : widths_) prefix_ += w;
  name_ = name.empty() ? default_name(widths_) : std::move(name);
}

std::string FanoutLayout::directory_of(std::string_view hash) const {
  std::string dir;
  dir.reserve(prefix_ + widths_.size());
  std::size_t pos = 0;
  for (auto w : widths_) {
    if (pos) dir += '/';
    dir.append(hash.substr(pos, w));
    pos += w;
  }
  return dir;
}

std::string FanoutLayout::lookup(std::string_view hash) const {
  validate_hash(hash, prefix_);
  std::string rel;
  rel.reserve(prefix_ + widths_.size() + hash.size());  // one allocation, not two
  rel.append(directory_of(hash));  // short enough for the small-string buffer: no allocation
  rel += '/';
  rel.append(hash);
  return rel;
}

std::string FanoutLayout::path_to_hash(std::string_view rel_path) const {
  // Exactly the inverse of lookup(): "58//<hash>" or "./58/<hash>" are not paths this layout
  // produces.
  auto slash = rel_path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? rel_path : rel_path.substr(slash + 1);
  if (!contains(rel_path, file)) {
    throw InvalidHashError(std::string(rel_path), "not a path of the " + name_ + " layout");
  }
  return std::string(file);
}

V0Layout::V0Layout() : FanoutLayout({2, 6}, "v0") {}

V1Layout::V1Layout() : FanoutLayout({2}, "v1") {}

}  // namespace cas
