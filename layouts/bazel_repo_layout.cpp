// BazelRepoLayout: Bazel's repository cache, h/file (layout.hpp).
#include <string>

#include "cas/errors.hpp"
#include "cas/layout.hpp"

namespace cas {
namespace {

constexpr std::string_view kFile = "/file";

}  // namespace

std::string BazelRepoLayout::lookup(std::string_view hash) const {
  validate_hash(hash, min_hash_length());
  std::string rel(hash);
  rel.append(kFile);
  return rel;
}

std::string_view BazelRepoLayout::hash_at(std::string_view rel_path,
                                          std::string_view file_name) const {
  // Exactly what lookup() produces: one directory, named by a valid hash, holding "file".
  if (file_name != kFile.substr(1) || !rel_path.ends_with(kFile)) return {};
  std::string_view hash = rel_path.substr(0, rel_path.size() - kFile.size());
  return is_valid_hash(hash, min_hash_length()) ? hash : std::string_view();
}

bool BazelRepoLayout::contains(std::string_view rel_path, std::string_view file_name) const {
  return is_valid_hash(file_name, min_hash_length()) &&
         rel_path.size() == file_name.size() + kFile.size() && rel_path.starts_with(file_name) &&
         rel_path.ends_with(kFile);
}

std::string BazelRepoLayout::path_to_hash(std::string_view rel_path) const {
  auto slash = rel_path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? rel_path : rel_path.substr(slash + 1);
  std::string_view hash = hash_at(rel_path, file);
  if (hash.empty()) {
    throw InvalidHashError(std::string(rel_path), "not a path of the bazel-repo layout");
  }
  return std::string(hash);
}

}  // namespace cas
