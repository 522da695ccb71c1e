// The fixture of the Store tests (store_test.cpp, store_insert_test.cpp, store_walk_test.cpp): a
// scratch root, IPS-style hashes, and files placed where a layout puts them.
#pragma once

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/layout.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas::test {

class StoreTest : public ::testing::Test {
 protected:
  static inline const V0Layout kV0;
  static inline const V1Layout kV1;

  // 40-hex names as IPS used; kSibling shares kHashA's V0 directory (same first 8 characters).
  static inline const std::string kHashA = "584b6ab7d7eb446938a02e57101c3a2fecbfb3cb";
  static inline const std::string kSibling = "584b6ab7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  static inline const std::string kHashB = "11be1a0b5f9a0a6c9ad1a1b2c3d4e5f60718293a";
  static inline const std::string kHashC = "ffeeddccbbaa99887766554433221100ffeeddcc";

  boost::filesystem::path root() const { return tmp_ / "store"; }
  // Writes a file directly where `layout` puts `hash`, as an older cache would have.
  boost::filesystem::path place(const Layout& layout, const std::string& hash,
                                const std::string& content = "") {
    boost::filesystem::path p = root() / layout.lookup(hash);
    write_file(p, content.empty() ? "content of " + hash : content);
    return p;
  }
  std::set<std::string> walk_all(Store& store) {
    std::set<std::string> seen;
    store.walk([&](const std::string& h) { EXPECT_TRUE(seen.insert(h).second) << h; });
    return seen;
  }
  TempDir tmp_;
};

}  // namespace cas::test
