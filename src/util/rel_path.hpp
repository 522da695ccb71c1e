// Internal: root-relative paths ('/'-separated, no leading slash, "" for the root itself).
#pragma once

#include <string_view>

namespace cas::detail {

// The directory part of a root-relative path ("" for a top-level name).
inline std::string_view parent_of(std::string_view rel_path) {
  auto slash = rel_path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : rel_path.substr(0, slash);
}

}  // namespace cas::detail
