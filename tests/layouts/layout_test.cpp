#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/layout.hpp"

namespace cas {
namespace {

const std::string kHash = "584b6ab7d7eb446938a02e57101c3a2fecbfb3cb";  // 40 hex, like IPS's sha1

TEST(V1LayoutTest, PlacesHashInOneLevelOf256Directories) {
  V1Layout v1;
  EXPECT_EQ(v1.name(), "v1");
  EXPECT_EQ(v1.lookup(kHash), "58/" + kHash);
  EXPECT_EQ(v1.lookup("ab"), "ab/ab");
}

TEST(V0LayoutTest, PlacesHashUnderTwoLevels) {
  V0Layout v0;
  EXPECT_EQ(v0.name(), "v0");
  EXPECT_EQ(v0.lookup(kHash), "58/4b6ab7/" + kHash);
  EXPECT_EQ(v0.lookup("01234567"), "01/234567/01234567");
}

TEST(FanoutLayoutTest, SlicesPrefixIntoLevels) {
  auto f = layout_by_name("fanout:2,2");
  EXPECT_EQ(f->name(), "fanout:2,2");
  EXPECT_EQ(f->lookup("abcdef"), "ab/cd/abcdef");
  EXPECT_EQ(layout_by_name("fanout:3")->lookup("abcdef"), "abc/abcdef");
  EXPECT_EQ(layout_by_name("fanout:1,1,1")->lookup("abcdef"), "a/b/c/abcdef");
}

TEST(LayoutRegistryTest, KnowsV0V1AndFanout) {
  EXPECT_EQ(layout_by_name("v0")->name(), "v0");
  EXPECT_EQ(layout_by_name("v1")->name(), "v1");
  EXPECT_EQ(preferred_layout()->name(), "v1");
  auto defaults = default_layouts();
  ASSERT_EQ(defaults.size(), 2u);
  EXPECT_EQ(defaults[0]->name(), "v1");
  EXPECT_EQ(defaults[1]->name(), "v0");
}

TEST(LayoutRegistryTest, RejectsUnknownAndMalformedNames) {
  for (const char* bad : {"", "v2", "V1", "fanout:", "fanout:0", "fanout:2,", "fanout:x",
                          "fanout:33", "fanout:1,1,1,1,1,1,1,1,1", "fanout:-1", "fanout:2,,2"}) {
    EXPECT_THROW(layout_by_name(bad), InvalidArgumentError) << bad;
  }
}

TEST(LayoutRegistryTest, ParsesLayoutListsWithFanoutCommas) {
  auto list = layouts_by_names("v1,fanout:2,2,v0");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->name(), "v1");
  EXPECT_EQ(list[1]->name(), "fanout:2,2");
  EXPECT_EQ(list[2]->name(), "v0");
  EXPECT_THROW(layouts_by_names(""), InvalidArgumentError);
  EXPECT_THROW(layouts_by_names("v1,v1"), InvalidArgumentError);
  EXPECT_THROW(layouts_by_names("v1,,v0"), InvalidArgumentError);
  EXPECT_THROW(layouts_by_names("v1,nope"), InvalidArgumentError);
}

TEST(V1LayoutTest, RejectsUppercaseHash) {
  EXPECT_THROW(V1Layout().lookup("584B6AB7"), InvalidHashError);
}

TEST(LayoutTest, RejectsEveryHostileHash) {
  const std::string bad[] = {"",
                             "..",
                             "../x",
                             "aa/../../x",
                             "/etc/passwd",
                             "ab/cd",
                             "abc.def0",
                             "ABCDEF01",
                             std::string("abcd\0ef01", 9),
                             " abcdef01",
                             "abcdef01 ",
                             "abcdef\n01",
                             "abcdefg1",
                             std::string(129, 'a'),
                             "a"};
  for (const auto& layout :
       {layout_by_name("v0"), layout_by_name("v1"), layout_by_name("fanout:2,2")}) {
    for (const auto& hash : bad) {
      EXPECT_THROW(layout->lookup(hash), InvalidHashError) << layout->name() << " " << hash;
      EXPECT_FALSE(layout->contains(hash, hash));
    }
  }
}

TEST(LayoutTest, EnforcesPrefixLengthAndMaximum) {
  EXPECT_THROW(V0Layout().lookup("abcdef0"), InvalidHashError);  // 7 < 8
  EXPECT_NO_THROW(V0Layout().lookup("abcdef01"));
  EXPECT_THROW(V1Layout().lookup("a"), InvalidHashError);
  EXPECT_NO_THROW(V1Layout().lookup(std::string(128, 'f')));
  EXPECT_THROW(V1Layout().lookup(std::string(129, 'f')), InvalidHashError);
}

TEST(LayoutTest, InvalidHashErrorCarriesInputAndReason) {
  try {
    V1Layout().lookup("../x");
    FAIL() << "no throw";
  } catch (const InvalidHashError& e) {
    EXPECT_EQ(e.hash(), "../x");
    EXPECT_NE(std::string(e.what()).find("../x"), std::string::npos);
  }
}

TEST(LayoutTest, PathToHashRoundTrips) {
  for (const auto& layout : {layout_by_name("v0"), layout_by_name("v1"),
                             layout_by_name("fanout:2,2"), layout_by_name("fanout:1,3,2")}) {
    for (const std::string& hash : {kHash, std::string(64, '0') + "1", std::string(128, 'e')}) {
      EXPECT_EQ(layout->path_to_hash(layout->lookup(hash)), hash) << layout->name();
    }
  }
}

TEST(LayoutTest, PathToHashRejectsForeignPaths) {
  V1Layout v1;
  V0Layout v0;
  EXPECT_THROW(v1.path_to_hash(v0.lookup(kHash)), InvalidHashError);
  EXPECT_THROW(v0.path_to_hash(v1.lookup(kHash)), InvalidHashError);
  EXPECT_THROW(v1.path_to_hash("59/" + kHash), InvalidHashError);  // wrong bucket
  EXPECT_THROW(v1.path_to_hash(kHash), InvalidHashError);          // no bucket
  EXPECT_THROW(v1.path_to_hash("58/../" + kHash), InvalidHashError);
  EXPECT_THROW(v1.path_to_hash("/58/" + kHash), InvalidHashError);
  EXPECT_THROW(v1.path_to_hash(""), InvalidHashError);
}

// contains(rel_path, name) is IPS's lookup(name) == rel_path: rel_path is the file's whole
// root-relative path, never its directory alone.
TEST(LayoutTest, ContainsIsTrueExactlyWhenLookupGivesTheWholePath) {
  struct Row {
    const char* layout;
    std::string rel_path;
    std::string name;
    bool expected;
  };
  const std::string v0_dir = "58/4b6ab7";
  const Row rows[] = {
      {"v1", "58/" + kHash, kHash, true},
      {"v1", "58", kHash, false},  // the directory-only spelling
      {"v1", "58/", kHash, false},
      {"v1", kHash, kHash, false},
      {"v1", "/58/" + kHash, kHash, false},
      {"v1", "58//" + kHash, kHash, false},
      {"v1", "./58/" + kHash, kHash, false},
      {"v1", "59/" + kHash, kHash, false},
      {"v1", v0_dir + "/" + kHash, kHash, false},
      {"v1", "58/" + kHash + "x", kHash, false},
      {"v1", "58/tmp-file", "tmp-file", false},
      {"v1", "58/" + kHash, "58" + std::string(200, '0'), false},            // too long: invalid
      {"v1", "58/584B" + kHash.substr(4), "584B" + kHash.substr(4), false},  // uppercase
      {"v0", v0_dir + "/" + kHash, kHash, true},
      {"v0", v0_dir, kHash, false},
      {"v0", "58/" + kHash, kHash, false},
      {"v0", v0_dir + "/584b6ab", "584b6ab", false},  // too short for V0
      {"fanout:2,2", "58/4b/" + kHash, kHash, true},
      {"fanout:2,2", "58/4b", kHash, false},
      {"fanout:2", "58/" + kHash, kHash, true},
  };
  for (const auto& row : rows) {
    auto layout = layout_by_name(row.layout);
    EXPECT_EQ(layout->contains(row.rel_path, row.name), row.expected)
        << row.layout << " contains(\"" << row.rel_path << "\", \"" << row.name << "\")";
  }
  EXPECT_TRUE(V1Layout().contains(V1Layout().lookup(kHash), kHash));
}

// The union of the default layouts is a bijection: every path of any layout names exactly
// one (layout, hash) pair, so no two layouts map different hashes to one path.
TEST(LayoutTest, DefaultLayoutsFormABijection) {
  auto layouts = default_layouts();
  layouts.push_back(layout_by_name("fanout:2,2"));
  std::set<std::string> paths;
  std::string hash(40, '0');
  static const char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 4096; ++i) {
    // Vary the characters every layout's prefix uses, and the length.
    hash[0] = kHex[i & 15];
    hash[1] = kHex[(i >> 4) & 15];
    hash[3] = kHex[(i >> 8) & 15];
    std::string h = (i % 3 == 0) ? hash : hash.substr(0, 8 + i % 32);
    for (const auto& layout : layouts) {
      std::string p = layout->lookup(h);
      paths.insert(p);
      for (const auto& other : layouts) {
        bool holds = other->contains(p, p.substr(p.rfind('/') + 1));
        EXPECT_EQ(holds, other == layout) << p << " claimed by " << other->name();
      }
    }
  }
  // Distinct (layout, hash) pairs must give distinct paths.
  std::set<std::string> hashes;
  for (unsigned i = 0; i < 4096; ++i) {
    hash[0] = kHex[i & 15];
    hash[1] = kHex[(i >> 4) & 15];
    hash[3] = kHex[(i >> 8) & 15];
    hashes.insert((i % 3 == 0) ? hash : hash.substr(0, 8 + i % 32));
  }
  EXPECT_EQ(paths.size(), hashes.size() * layouts.size());
}

}  // namespace
}  // namespace cas
