// The fixture of the store-wide operations' tests (operations_test.cpp, migrate_test.cpp,
// purge_gc_test.cpp): numbered files placed by layout under a scratch root, and what is left.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "test_util.hpp"

namespace cas::test {

class OperationsTest : public ::testing::Test {
 protected:
  static inline const V0Layout kV0;
  static inline const V1Layout kV1;

  static std::string content_of(int i) { return "file number " + std::to_string(i); }
  static std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

  // Writes files 0..n-1 where `layout` places them, named by their real sha256.
  static void populate(const boost::filesystem::path& root, const Layout& layout, int n,
                       int first = 0) {
    for (int i = first; i < first + n; ++i) {
      write_file(root / layout.lookup(hash_of(i)), content_of(i));
    }
  }

  // Relative paths of every non-directory under root, sorted.
  static std::vector<std::string> files_under(const boost::filesystem::path& root) {
    namespace fs = boost::filesystem;
    std::vector<std::string> out;
    if (!fs::exists(root)) return out;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
      if (!fs::is_directory(it->symlink_status())) {
        out.push_back(it->path().lexically_relative(root).string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::size_t directories_under(const boost::filesystem::path& root) {
    namespace fs = boost::filesystem;
    std::size_t n = 0;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
      n += fs::is_directory(it->symlink_status());
    }
    return n;
  }

  boost::filesystem::path root() const { return tmp_ / "store"; }
  TempDir tmp_;
};

}  // namespace cas::test
