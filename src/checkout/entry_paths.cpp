// The checks of checkout entries (entry_paths.hpp).
#include "checkout/entry_paths.hpp"

#include <string>
#include <string_view>
#include <unordered_set>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {
namespace {

[[noreturn]] void refuse(std::string_view path, const std::string& why) {
  std::string shown;
  for (char c : path) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
  throw InvalidArgumentError("checkout path '" + shown + "': " + why);
}

}  // namespace

void check_entry_path(std::string_view path) {
  if (path.empty()) refuse(path, "empty");
  if (path.find('\0') != std::string_view::npos) refuse(path, "holds a NUL byte");
  if (path.front() == '/') refuse(path, "absolute (give a path relative to the root)");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) refuse(path, "an empty component");
    if (part == "..") refuse(path, "a '..' component would leave the root");
    if (part == ".") refuse(path, "a '.' component");
    start = end + 1;
  }
}

void check_entries(const std::vector<CheckoutEntry>& entries) {
  std::unordered_set<std::string_view> files;
  std::unordered_set<std::string_view> dirs;
  for (const auto& e : entries) {
    validate_hash(e.hash);
    check_entry_path(e.path);
    if (!files.insert(e.path).second) refuse(e.path, "given twice");
    for (auto dir = parent_of(e.path); !dir.empty(); dir = parent_of(dir)) {
      if (!dirs.insert(dir).second) break;  // its parents are in already
    }
  }
  for (auto dir : dirs) {
    if (files.contains(dir)) refuse(dir, "both a file and another entry's directory");
  }
}

}  // namespace cas::detail
