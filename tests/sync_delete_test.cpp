// sync with delete_extras (`cas sync --delete`) after a copy phase that had a failure: the
// destination then does not hold everything the source has, and deleting what the source lacks
// would leave it with less than either. Nothing may be deleted, and that is one more failure.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

using test::sha256;

// A source of three hashes and a destination holding two extras, where the first source hash
// cannot be linked: a regular file sits where its v1 bucket directory must go.
class SyncDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const V1Layout v1;
    blocked_ = sha256("source 0");
    const std::string bucket = blocked_.substr(0, 2);
    test::write_file(source() / v1.lookup(blocked_), "source 0");
    // Every other hash in another bucket, so only the blocked one fails.
    for (int i = 1; sources_.size() < 2; ++i) {
      const std::string content = "source " + std::to_string(i);
      if (sha256(content).substr(0, 2) == bucket) continue;
      sources_.push_back(content);
      test::write_file(source() / v1.lookup(sha256(content)), content);
    }
    for (int i = 0; extras_.size() < 2; ++i) {
      const std::string content = "extra " + std::to_string(i);
      if (sha256(content).substr(0, 2) == bucket) continue;
      extras_.push_back(content);
      test::write_file(dest() / v1.lookup(sha256(content)), content);
    }
    test::write_file(dest() / bucket, "a file where a bucket directory must go");
  }

  fs::path source() const { return tmp_ / "source"; }
  fs::path dest() const { return tmp_ / "dest"; }
  fs::path in_dest(const std::string& content) const {
    return dest() / V1Layout().lookup(sha256(content));
  }
  // Expects the extras in place, the other source hashes copied, the blocked one absent.
  void expect_nothing_deleted() const {
    for (const auto& extra : extras_) {
      ASSERT_TRUE(fs::exists(in_dest(extra))) << "extra \"" << extra << "\" was deleted";
      EXPECT_EQ(test::read_file(in_dest(extra)), extra);
    }
    for (const auto& s : sources_) EXPECT_EQ(test::read_file(in_dest(s)), s);
    EXPECT_TRUE(fs::is_regular_file(dest() / blocked_.substr(0, 2)));
  }

  test::TempDir tmp_;
  std::string blocked_;
  std::vector<std::string> sources_;
  std::vector<std::string> extras_;
};

TEST_F(SyncDeleteTest, ACopyFailureKeepsEveryExtraAndCountsOneMoreFailure) {
  Store source_store(source(), StoreOptions{.read_only = true});
  Store store(dest());
  SyncOptions o;
  o.delete_extras = true;
  o.threads = 2;
  SyncResult r = sync(store, source_store, o);
  expect_nothing_deleted();
  EXPECT_EQ(r.linked + r.copied, 2u);
  EXPECT_EQ(r.deleted, 0u);
  EXPECT_EQ(r.failed, 2u) << "the failed link, and the deletion not made";
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].find(blocked_), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[1].find("extras not deleted"), std::string::npos) << r.errors[1];
}

#ifdef CAS_CLI
TEST_F(SyncDeleteTest, CliSyncDeleteAfterACopyFailureExitsOneAndDeletesNothing) {
  test::RunResult r = test::run(
      {CAS_CLI, "--root", dest().string(), "sync", "--from", source().string(), "--delete"});
  expect_nothing_deleted();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" deleted=0 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" failed=2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("extras not deleted"), std::string::npos) << r.err;
}
#endif

}  // namespace
}  // namespace cas
