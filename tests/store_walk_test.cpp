// Store::walk (IPS's scenarios among them): every hash once across layouts, unrecognized files
// reported, and a visitor that changes the store.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "store_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::StoreTest;

// IPS: walk over everything, across layouts, each hash once.
TEST_F(StoreTest, WalkVisitsEveryHashOnceAcrossLayouts) {
  place(kV0, kHashA);
  place(kV1, kHashB);
  place(kV0, kHashC);
  place(kV1, kHashC);  // both copies: visited once
  Store store(root());
  EXPECT_EQ(walk_all(store), (std::set<std::string>{kHashA, kHashB, kHashC}));
}

// IPS: walk with only V1 configured visits the V1 hashes, then reports the V0 file.
TEST_F(StoreTest, WalkWithOnlyV1ReportsV0FileAsUnrecognized) {
  place(kV0, kHashA);
  place(kV1, kHashB);
  place(kV1, kHashC);
  Store store(root(), StoreOptions{.layouts = {layout_by_name("v1")}});
  std::set<std::string> seen;
  try {
    store.walk([&](const std::string& h) { seen.insert(h); });
    FAIL() << "walk did not report the V0 file";
  } catch (const UnrecognizedPathsError& e) {
    EXPECT_EQ(e.paths(), std::vector<std::string>{kV0.lookup(kHashA)});
  }
  EXPECT_EQ(seen, (std::set<std::string>{kHashB, kHashC}));
}

TEST_F(StoreTest, WalkReportsStrayFilesSortedAndSkipsTempArea) {
  place(kV1, kHashB);
  test::write_file(root() / "zz-notes.txt", "x");
  test::write_file(root() / "58" / "readme", "x");
  test::write_file(root() / "11" / kHashA, "x");  // right name, wrong bucket
  test::write_file(root() / std::string(Store::kTempDirName) / "tmp-1-2-3", "partial");
  fs::create_directories(root() / "ab" / "empty");
  Store store(root());
  std::set<std::string> seen;
  try {
    store.walk([&](const std::string& h) { seen.insert(h); });
    FAIL();
  } catch (const UnrecognizedPathsError& e) {
    EXPECT_EQ(e.paths(), (std::vector<std::string>{"11/" + kHashA, "58/readme", "zz-notes.txt"}));
  }
  EXPECT_EQ(seen, std::set<std::string>{kHashB});
}

TEST_F(StoreTest, WalkOfMissingRootVisitsNothing) {
  Store store(root());
  EXPECT_TRUE(walk_all(store).empty());
}

TEST_F(StoreTest, WalkVisitorMayMutateTheStore) {
  place(kV0, kHashA);
  place(kV0, kHashB);
  place(kV1, kHashC);
  Store store(root());
  store.walk([&](const std::string& h) {
    if (h == kHashC) {
      store.remove(h);
    } else {
      store.lookup(h);
    }
  });
  EXPECT_EQ(walk_all(store), (std::set<std::string>{kHashA, kHashB}));
  EXPECT_TRUE(fs::exists(root() / kV1.lookup(kHashA)));
}

}  // namespace
}  // namespace cas
