// The quarantine keeps every corrupt copy it is given: the same hash quarantined again (a second
// bit rot, a copy under another layout) goes to `<hash>.1`, `<hash>.2`, ... and never replaces
// an earlier one, whose bytes may be what is needed to tell what went wrong.
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "cas/unique_fd.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

// name -> content of every file in the quarantine area of `root`.
std::map<std::string, std::string> quarantined(const fs::path& root) {
  std::map<std::string, std::string> out;
  const fs::path area = root / ".cas-quarantine";
  if (!fs::exists(area)) return out;
  for (fs::directory_iterator it(area), end; it != end; ++it) {
    out[it->path().filename().string()] = test::read_file(it->path());
  }
  return out;
}

const std::string kGood = "the bytes this hash names";
const std::string kHash = hash_bytes(kGood, HashAlgorithm::sha256);

TEST(QuarantineTest, VerifyOnOpenKeepsEveryCorruptCopyOfTheSameHash) {
  test::TempDir tmp;
  const fs::path root = tmp / "store";
  Store s(root, StoreOptions{.verify_on_open = true});
  const fs::path place = root / V1Layout().lookup(kHash);
  for (const std::string rot : {"first rot", "second rot", "third rot"}) {
    test::write_file(place, rot);  // downloaded again, and rotted again
    EXPECT_THROW(s.open(kHash), CorruptError) << rot;
    EXPECT_FALSE(fs::exists(place)) << rot;
  }
  EXPECT_EQ(quarantined(root),
            (std::map<std::string, std::string>{
                {kHash, "first rot"}, {kHash + ".1", "second rot"}, {kHash + ".2", "third rot"}}));
}

TEST(QuarantineTest, OpenFdVerifiesAsOpenDoesAndServesAGoodFileFromItsStart) {
  test::TempDir tmp;
  const fs::path root = tmp / "store";
  Store s(root, StoreOptions{.verify_on_open = true});
  const fs::path place = root / V1Layout().lookup(kHash);
  test::write_file(place, "rotted");
  EXPECT_THROW(s.open_fd(kHash), CorruptError);
  EXPECT_FALSE(fs::exists(place));
  EXPECT_EQ(quarantined(root), (std::map<std::string, std::string>{{kHash, "rotted"}}));
  test::write_file(place, kGood);
  UniqueFd fd = s.open_fd(kHash);
  ASSERT_TRUE(fd);
  std::string got(kGood.size() + 1, '\0');
  const ssize_t n = ::read(fd.get(), got.data(), got.size());
  ASSERT_GE(n, 0);
  got.resize(static_cast<std::size_t>(n));
  EXPECT_EQ(got, kGood);  // hashed, then rewound
}

TEST(QuarantineTest, VerifyQuarantinesCorruptCopiesUnderTwoLayoutsWithoutLosingEither) {
  test::TempDir tmp;
  const fs::path root = tmp / "store";
  test::write_file(root / V1Layout().lookup(kHash), "rotted under v1");
  test::write_file(root / V0Layout().lookup(kHash), "rotted under v0");
  Store s(root);
  VerifyOptions o;
  o.quarantine = true;
  VerifyResult r = verify(s, o);
  EXPECT_EQ(r.corrupt, 2u);
  EXPECT_EQ(r.quarantined, 2u);
  EXPECT_EQ(r.failed, 0u);
  auto q = quarantined(root);
  // Which copy the parallel walk reached first is not fixed: compare the sets of names and bytes.
  std::set<std::string> names, contents;
  for (const auto& [name, content] : q) {
    names.insert(name);
    contents.insert(content);
  }
  EXPECT_EQ(names, (std::set<std::string>{kHash, kHash + ".1"}));
  EXPECT_EQ(contents, (std::set<std::string>{"rotted under v1", "rotted under v0"}));

  // A later run finds the hash rotted once more: a third name, the first two untouched.
  test::write_file(root / V1Layout().lookup(kHash), "rotted again");
  EXPECT_EQ(verify(s, o).quarantined, 1u);
  q = quarantined(root);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[kHash + ".2"], "rotted again");
  EXPECT_EQ((std::set<std::string>{q[kHash], q[kHash + ".1"]}), contents);
}

}  // namespace
}  // namespace cas
