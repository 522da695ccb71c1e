// Scopes (src/store/scope.hpp): store-wide operations run on parts of a store (the seam cas-mpi
// splits jobs with) add up to one run over the whole store; merge_stats adds up their stats.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "ops/stats_merge.hpp"
#include "store/scope.hpp"
#include "store/trim_split.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

const V0Layout kV0;
const V1Layout kV1;

std::string content_of(int i) { return "scoped file " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

constexpr int kParts = 5;

// Which of kParts parts a top-level name belongs to: hex buckets by value, the rest in part 0.
int part_of(std::string_view name) {
  if (name.size() == 2 && std::isxdigit(name[0]) && std::isxdigit(name[1])) {
    return 1 + std::stoi(std::string(name), nullptr, 16) % (kParts - 1);
  }
  return 0;
}

// Split finer (Scope::sub, as cas-mpi cuts a work unit): part 0 is every
// non-hex top-level name; parts 1 to 4 share every hex top-level directory by the hash digit
// after the prefix (h[2]: a v1 file name's third character, a v0 subdirectory's first), and
// part 1 owns the top-level entries themselves.
int sub_part_of(std::string_view top, std::string_view name) {
  const bool whole_hash = name.size() > 8 && name.substr(0, top.size()) == top;
  const char digit = whole_hash ? name[top.size()] : name.empty() ? '0' : name[0];
  return 1 + (std::isxdigit(digit) ? std::stoi(std::string(1, digit), nullptr, 16) % 4 : 0);
}

// Runs `op` once per part and returns the results; `fine`: the parts of sub_part_of.
template <typename Result, typename Options>
std::vector<Result> run_parts(Options options, const std::function<Result(const Options&)>& op,
                              bool fine = false) {
  std::vector<Result> out;
  for (int p = 0; p < kParts; ++p) {
    detail::Scope scope;
    if (!fine) {
      scope.top = [p](std::string_view name) { return part_of(name) == p; };
    } else {
      scope.top = [p](std::string_view name) { return (part_of(name) == 0) == (p == 0); };
      if (p > 0) {  // part 0, the non-hex names, is not split
        scope.sub = [p](std::string_view top, std::string_view name) {
          return name.empty() ? p == 1 : sub_part_of(top, name) == p;
        };
      }
    }
    detail::set_scope(options, std::move(scope));
    out.push_back(op(options));
  }
  return out;
}

// Parameter: whether the parts split top-level directories too (Scope::sub).
class OperationsScopeTest : public ::testing::TestWithParam<bool> {
 protected:
  // A store with every kind of content: v0 and v1 files (some in both), unrecognized files at
  // the top and inside buckets, an empty directory, temp files, quarantine and a pin.
  void SetUp() override {
    for (int i = 0; i < 200; ++i) {
      const Layout& layout = i % 3 ? static_cast<const Layout&>(kV0) : kV1;
      test::write_file(root() / layout.lookup(hash_of(i)), content_of(i));
    }
    for (int i = 0; i < 10; ++i) test::write_file(root() / kV0.lookup(hash_of(i)), content_of(i));
    test::write_file(root() / "README", "not content");
    test::write_file(root() / "ab" / "junk", "not content either");
    fs::create_directories(root() / "zz" / "empty");
    test::write_file(root() / ".cas-tmp" / "partial", "half");
    test::write_file(root() / ".cas-quarantine" / hash_of(999), "bad");
    test::write_file(root() / kV1.lookup(hash_of(500)), "corrupt content");
    Store store(root());
    add_pin(store, "release", {hash_of(1), hash_of(2)});
  }
  fs::path root() const { return tmp_ / "store"; }
  test::TempDir tmp_;
};

TEST_P(OperationsScopeTest, StatsOfThePartsMergeIntoTheWholeStoresStats) {
  Store store(root());
  const StoreStats whole = stats(store);
  StoreStats merged;
  for (const auto& part : run_parts<StoreStats, OperationOptions>(
           {}, [&](const OperationOptions& o) { return stats(store, o); }, GetParam())) {
    detail::merge_stats(merged, part);
  }
  for (const auto& [name, layout] : whole.layouts) {
    EXPECT_EQ(merged.layouts[name].files, layout.files) << name;
    EXPECT_EQ(merged.layouts[name].bytes, layout.bytes) << name;
  }
  EXPECT_EQ(merged.hashes, whole.hashes);
  EXPECT_EQ(merged.unrecognized_files, whole.unrecognized_files);
  EXPECT_EQ(merged.unrecognized_bytes, whole.unrecognized_bytes);
  EXPECT_EQ(merged.directories, whole.directories);
  EXPECT_EQ(merged.empty_directories, whole.empty_directories);
  EXPECT_EQ(merged.temp_files, 1u);
  EXPECT_EQ(merged.quarantined_files, 1u);
  EXPECT_EQ(merged.pinned_hashes, 2u);
  EXPECT_EQ(merged.oldest_use, whole.oldest_use);
  EXPECT_EQ(merged.median_use, whole.median_use);
  EXPECT_EQ(merged.newest_use, whole.newest_use);
  ASSERT_TRUE(merged.last_uses && whole.last_uses);
  EXPECT_EQ(merged.last_uses->width, whole.last_uses->width);
  EXPECT_EQ(merged.last_uses->files, whole.last_uses->files);
}

TEST(MergeStatsTest, MedianAndExtremesFollowTheMergedHistogram) {
  StoreStats a, b;
  a.hashes = 3;
  a.oldest_use = 100;
  a.newest_use = 102;
  a.last_uses =
      std::make_shared<const detail::LastUses>(detail::LastUses{1, {{100, 1}, {101, 1}, {102, 1}}});
  b.hashes = 4;
  b.oldest_use = 96;
  b.newest_use = 200;
  // Coarser: a's cells fold into [100, 104).
  b.last_uses = std::make_shared<const detail::LastUses>(detail::LastUses{4, {{96, 2}, {196, 2}}});
  StoreStats merged;
  detail::merge_stats(merged, a);
  EXPECT_EQ(merged.median_use, 101);
  detail::merge_stats(merged, b);
  ASSERT_TRUE(merged.last_uses);
  EXPECT_EQ(merged.last_uses->width, 4);
  EXPECT_EQ(merged.last_uses->files,
            (std::map<std::int64_t, std::uint64_t>{{96, 2}, {100, 3}, {196, 2}}));
  EXPECT_EQ(merged.median_use, 100);  // the 4th of 7 files lies in [100, 104)
  EXPECT_EQ(merged.oldest_use, 96);
  EXPECT_EQ(merged.newest_use, 200);
  EXPECT_EQ(merged.hashes, 7u);
}

TEST_P(OperationsScopeTest, MigrateByPartsMovesWhatOneMigrateMoves) {
  test::copy_tree(root(), tmp_ / "whole");
  Store whole_store(tmp_ / "whole");
  const MigrateResult whole = migrate(whole_store);
  Store store(root());
  MigrateResult sum;
  for (const auto& r : run_parts<MigrateResult, MigrateOptions>(
           {}, [&](const MigrateOptions& o) { return migrate(store, o); }, GetParam())) {
    sum.moved += r.moved;
    sum.already_in_place += r.already_in_place;
    sum.duplicates_removed += r.duplicates_removed;
    sum.unrecognized += r.unrecognized;
    sum.directories_removed += r.directories_removed;
    sum.failed += r.failed;
  }
  EXPECT_EQ(sum.moved, 133u);  // every i with i % 3 != 0
  EXPECT_EQ(sum.moved, whole.moved);
  EXPECT_EQ(sum.already_in_place, whole.already_in_place);
  EXPECT_EQ(sum.duplicates_removed, 4u);  // 0, 3, 6 and 9 were under both layouts
  EXPECT_EQ(sum.duplicates_removed, whole.duplicates_removed);
  EXPECT_EQ(sum.unrecognized, 2u);  // README and ab/junk
  EXPECT_EQ(sum.directories_removed, whole.directories_removed);
  EXPECT_EQ(sum.failed, 0u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_TRUE(fs::exists(root() / kV1.lookup(hash_of(i)))) << i;
    EXPECT_FALSE(fs::exists(root() / kV0.lookup(hash_of(i)))) << i;
  }
  EXPECT_TRUE(fs::exists(root() / ".cas-quarantine" / hash_of(999)));
  EXPECT_TRUE(fs::exists(root() / ".cas-tmp" / "partial"));
}

TEST_P(OperationsScopeTest, PurgeByPartsRemovesWhatOnePurgeRemoves) {
  test::copy_tree(root(), tmp_ / "whole");
  Store whole_store(tmp_ / "whole");
  const PurgeResult whole = purge(whole_store);
  Store store(root());
  PurgeResult sum;
  for (const auto& r : run_parts<PurgeResult, PurgeOptions>(
           {}, [&](const PurgeOptions& o) { return purge(store, o); }, GetParam())) {
    sum.files_removed += r.files_removed;
    sum.unrecognized += r.unrecognized;
    sum.directories_removed += r.directories_removed;
    sum.failed += r.failed;
  }
  EXPECT_EQ(sum.files_removed, whole.files_removed);
  EXPECT_EQ(sum.unrecognized, whole.unrecognized);
  EXPECT_EQ(sum.directories_removed, whole.directories_removed);
  EXPECT_EQ(sum.failed, 0u);
  std::set<std::string> left;
  for (fs::directory_iterator it(root()), end; it != end; ++it) {
    left.insert(it->path().filename().string());
  }
  // What no layout recognizes stays: README, and ab/stray with its bucket.
  EXPECT_EQ(left, (std::set<std::string>{".cas-tmp", ".cas-pins", "README", "ab"}));
}

TEST_P(OperationsScopeTest, VerifyByPartsChecksWhatOneVerifyChecks) {
  Store store(root());
  VerifyOptions no_reap;
  no_reap.reap_temp_older_than = std::chrono::seconds(0);
  const VerifyResult whole = verify(store, no_reap);
  VerifyResult sum;
  for (const auto& r : run_parts<VerifyResult, VerifyOptions>(
           no_reap, [&](const VerifyOptions& o) { return verify(store, o); }, GetParam())) {
    sum.ok += r.ok;
    sum.corrupt += r.corrupt;
    sum.unrecognized += r.unrecognized;
    sum.bytes += r.bytes;
  }
  EXPECT_EQ(sum.ok, whole.ok);
  EXPECT_EQ(sum.corrupt, 1u);
  EXPECT_EQ(sum.corrupt, whole.corrupt);
  EXPECT_EQ(sum.unrecognized, whole.unrecognized);
  EXPECT_EQ(sum.bytes, whole.bytes);
}

TEST_P(OperationsScopeTest, ListsOfThePartsAreDisjointAndAddUpToTheWholeList) {
  Store store(root());
  const ListResult whole = list(store);
  std::vector<std::string> hashes, unrecognized;
  for (const auto& part : run_parts<ListResult, OperationOptions>(
           {}, [&](const OperationOptions& o) { return list(store, o); }, GetParam())) {
    hashes.insert(hashes.end(), part.hashes.begin(), part.hashes.end());
    unrecognized.insert(unrecognized.end(), part.unrecognized.begin(), part.unrecognized.end());
  }
  std::sort(hashes.begin(), hashes.end());
  std::sort(unrecognized.begin(), unrecognized.end());
  EXPECT_EQ(hashes, whole.hashes);  // no hash in two parts: sorting the union is the list
  EXPECT_EQ(unrecognized, whole.unrecognized);
  EXPECT_EQ(whole.hashes.size(), 201u);  // 200, and the corrupt file (named as a hash)
}

TEST_P(OperationsScopeTest, AnOutOfScopeDirectoryIsNotTouched) {
  Store store(root());
  PurgeOptions only_ab;
  only_ab.remove_unrecognized = true;  // ab/stray too: the whole directory goes
  detail::set_scope(only_ab, {[](std::string_view name) { return name == "ab"; }, {}});
  purge(store, only_ab);
  EXPECT_FALSE(fs::exists(root() / "ab"));
  EXPECT_TRUE(fs::exists(root() / "README"));
  EXPECT_TRUE(fs::exists(root() / ".cas-quarantine" / hash_of(999)));
  EXPECT_TRUE(fs::exists(root() / kV1.lookup(hash_of(0))) || hash_of(0).starts_with("ab"));
}

// Everything under `root` that is a file, with its content: what a trim left.
std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> out;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) {
      out.insert(it->path().lexically_relative(root).string() + " " + test::read_file(it->path()));
    }
  }
  return out;
}

TEST_P(OperationsScopeTest, TrimSplitIntoPartsRemovesWhatOneTrimRemoves) {
  // Each file its own last use, a minute apart: no ties at the cutoff.
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(root()), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (std::size_t k = 0; k < files.size(); ++k) {
    test::set_mtime(files[k], std::time(nullptr) - 100000 + 60 * static_cast<std::time_t>(k));
  }
  test::copy_tree(root(), tmp_ / "whole");
  TrimOptions bounds;
  bounds.max_files = 120;
  bounds.max_bytes = 2500;
  bounds.low_water = 0.5;
  Store whole_store(tmp_ / "whole");
  const TrimResult whole = trim(whole_store, bounds);

  Store store(root());
  const timespec start = trim_start();
  TrimScan scan;
  for (const auto& part : run_parts<TrimScan, TrimOptions>(
           bounds, [&](const TrimOptions& o) { return trim_scan(store, o); }, GetParam())) {
    add_scan(scan, part);
  }
  const TrimPlan plan = trim_plan(bounds, scan, start);
  const std::vector<TrimPass> passes = run_parts<TrimPass, TrimOptions>(
      bounds, [&](const TrimOptions& o) { return trim_remove(store, o, plan); }, GetParam());
  TrimPass sum;
  for (const auto& p : passes) add_pass(sum, p);
  const std::vector<TrimShare> shares = trim_shares(plan, sum, passes);
  if (!shares.empty()) {
    int part = 0;
    run_parts<int, TrimOptions>(
        bounds,
        [&](const TrimOptions& o) {
          trim_settle(store, o, plan, shares.at(part), sum);
          return part++;
        },
        GetParam());
  }
  EXPECT_GT(whole.removed_files, 0u);
  EXPECT_EQ(scan.counts.scanned_files, whole.scanned_files);
  EXPECT_EQ(scan.counts.pinned, whole.pinned);
  EXPECT_EQ(sum.counts.removed_files, whole.removed_files);
  EXPECT_EQ(sum.counts.removed_bytes, whole.removed_bytes);
  EXPECT_EQ(sum.counts.directories_removed, whole.directories_removed);
  EXPECT_EQ(files_under(root()), files_under(tmp_ / "whole"));
}

TEST_P(OperationsScopeTest, TrimRefusesAScope) {
  Store store(root());
  TrimOptions options;
  options.max_files = 1;
  detail::set_scope(options, {[](std::string_view) { return true; }, {}});
  EXPECT_THROW(trim(store, options), InvalidArgumentError);
}

INSTANTIATE_TEST_SUITE_P(TopLevelAndFiner, OperationsScopeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Finer" : "TopLevel"; });

}  // namespace
}  // namespace cas
