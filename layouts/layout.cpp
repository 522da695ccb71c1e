#include "cas/layout.hpp"

namespace cas {

std::string Layout::directory_of(std::string_view hash) const {
  std::string rel = lookup(hash);
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

bool Layout::contains(std::string_view rel_path, std::string_view file_name) const {
  if (!is_valid_hash(file_name, min_hash_length())) return false;
  // Trailing slashes on the directory are tolerated; the root is "" (or ".").
  while (!rel_path.empty() && rel_path.back() == '/') rel_path.remove_suffix(1);
  if (rel_path == ".") rel_path = {};
  return directory_of(file_name) == rel_path;
}

}  // namespace cas
