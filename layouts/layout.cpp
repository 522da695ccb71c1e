#include "cas/layout.hpp"

namespace cas {

std::string Layout::directory_of(std::string_view hash) const {
  std::string rel = lookup(hash);
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

bool Layout::contains(std::string_view rel_path, std::string_view file_name) const {
  if (!is_valid_hash(file_name, min_hash_length())) return false;
  // lookup(file_name) == rel_path without building the whole path: the walker classifies every
  // file of a store with this call.
  if (!rel_path.ends_with(file_name)) return false;
  std::string_view dir = rel_path.substr(0, rel_path.size() - file_name.size());
  if (dir.empty()) return directory_of(file_name).empty();
  if (dir.back() != '/') return false;
  dir.remove_suffix(1);
  return !dir.empty() && directory_of(file_name) == dir;
}

std::string_view Layout::hash_at(std::string_view rel_path, std::string_view file_name) const {
  return contains(rel_path, file_name) ? file_name : std::string_view();
}

}  // namespace cas
