// cas-mpi run by mpirun with 4 ranks on this host (oversubscribed): the same totals, output,
// exit codes and effects on disk as single-process `cas`; a rank killed mid-job ends the job
// with a non-zero exit, and a rerun with the same --checkpoint completes it with nothing lost
// or duplicated; a distributed migrate while other processes insert and look up loses nothing.
// The fixture: cas_mpi_fixture.hpp; buckets cut into parts, ls and trim: cas_mpi_parts_test.cpp.
//
// ctest label `mpi`. Skipped (with the reason) when not run as root (mpirun is run with
// --allow-run-as-root, and the tests are meant for the CI container) or cas-mpi was not built.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "cas/store.hpp"
#include "cas_mpi_fixture.hpp"
#include "test_util.hpp"

namespace cas::mpi_test {
namespace {

namespace fs = boost::filesystem;
using test::parse_summary;
using test::RunResult;

// One command on a V0 store and on a V1 store: cas-mpi gives what cas gives.
class CasMpiCommandTest : public CasMpiTest,
                          public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(CasMpiCommandTest, GivesTheOutputAndEffectsOfCasOnV0AndV1Stores) {
  std::vector<std::string> args = GetParam();
  if (args.front() == "gc") {
    test::write_file(tmp_ / "keep.txt", hash_of(5) + "\n" + hash_of(6) + "\n");
    args.push_back((tmp_ / "keep.txt").string());
  } else if (args.front() == "sync") {
    args.push_back(make_store("mirror", kV1, kV0).string());
  }
  expect_same(make_store("v0", kV0, kV1), args);
  expect_same(make_store("v1", kV1, kV0), args);
}

INSTANTIATE_TEST_SUITE_P(Commands, CasMpiCommandTest,
                         ::testing::Values(std::vector<std::string>{"stats", "--json"},
                                           std::vector<std::string>{"verify"},
                                           std::vector<std::string>{"verify", "--quarantine"},
                                           std::vector<std::string>{"migrate"},
                                           std::vector<std::string>{"migrate", "--dry-run"},
                                           std::vector<std::string>{"purge"},
                                           std::vector<std::string>{"gc", "--keep"},
                                           std::vector<std::string>{"sync", "--delete", "--from"}),
                         [](const auto& info) {
                           std::string name;
                           for (const auto& a : info.param) {
                             for (char c : a)
                               name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST_F(CasMpiTest, StatsTextMatchesCasApartFromTheAges) {
  const fs::path store = make_store("v0", kV0, kV1);
  const auto single = test::lines_of(cas(store, {"stats"}).out);
  const RunResult split = cas_mpi(store, {"stats"});
  ASSERT_EQ(split.exit_code, 0) << split.err;
  const auto lines = test::lines_of(split.out);
  ASSERT_EQ(lines.size(), single.size());
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i], single[i]);
  // The last-use line ends with ages counted from "now", which may differ by a second.
  EXPECT_EQ(lines.back().substr(0, lines.back().find(" oldest_age")),
            single.back().substr(0, single.back().find(" oldest_age")));
}

TEST_F(CasMpiTest, UsageErrorsExitTwoAsCasDoes) {
  const RunResult missing = cas_mpi(tmp_ / "nowhere", {"migrate"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no such directory"), std::string::npos) << missing.err;
  const RunResult no_command = cas_mpi(tmp_.path(), {});
  EXPECT_EQ(no_command.exit_code, 2);
  // A keep list without a hash (an upstream step that failed) removes nothing, as with cas.
  const fs::path store = make_store("v1", kV1, kV0);
  const auto before = snapshot(store);
  test::write_file(tmp_ / "empty.txt", "# nothing\n");
  const RunResult empty = cas_mpi(store, {"gc", "--keep", (tmp_ / "empty.txt").string()});
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_NE(
      empty.err.find("cas: gc --keep: " + (tmp_ / "empty.txt").string() + ": no hash in the list"),
      std::string::npos)
      << empty.err;
  EXPECT_EQ(snapshot(store), before);
}

TEST_F(CasMpiTest, StatsPerRankReportsEveryRank) {
  const fs::path store = make_store("v1", kV1, kV0);
  const RunResult r = cas_mpi(store, {"verify", "--stats-per-rank"});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // the corrupt file
  std::uint64_t files = 0;
  for (int rank = 0; rank < 4; ++rank) {
    const auto at = r.out.find("rank " + std::to_string(rank) + ": buckets=");
    ASSERT_NE(at, std::string::npos) << r.out;
    const auto line = r.out.substr(at, r.out.find('\n', at) - at);
    files += std::stoull(parse_summary(line)["files"]);
  }
  EXPECT_EQ(files, kFiles + 50u + 1u + 2u);  // content, duplicates, the corrupt one, unrecognized
  EXPECT_NE(r.out.find("ranks: max/mean files="), std::string::npos);
  EXPECT_NE(r.out.find("size pass: seconds="), std::string::npos) << r.out;
}

// Lines of the checkpoint after its header: the buckets it records.
std::size_t buckets_recorded(const fs::path& checkpoint) {
  return test::lines_of(test::read_file(checkpoint)).size() - 1;
}

// The buckets of a job, from its checkpoint's header ("cas-mpi checkpoint 2 split=S ..."):
// 256 prefixes of S parts each, and the rest.
std::size_t buckets_of(const fs::path& checkpoint) {
  const std::string header = test::lines_of(test::read_file(checkpoint)).at(0);
  const std::string key = "cas-mpi checkpoint 2 split=";
  EXPECT_TRUE(header.starts_with(key)) << header;
  return 256 * std::stoul(header.substr(key.size())) + 1;
}

// Runs `command` with rank 1 killed (SIGKILL) after `files` files, then again with the same
// checkpoint; returns the second run's summary.
std::map<std::string, std::string> kill_and_resume(CasMpiTest& t, const fs::path& store,
                                                   const std::string& command,
                                                   const fs::path& checkpoint) {
  // Two buckets at once per rank, so that the kill loses more than one bucket in flight. Not
  // the default 16: in a store this small (a file or two per bucket) rank 0's own slots, which
  // need no message, take most buckets, and rank 1 may not reach its kill (it got 50-54 of
  // ~450 files at -j 2, 35-40 at -j 16).
  ::setenv("CAS_MPI_TEST_KILL", "1:20", 1);
  const RunResult killed =
      t.run_mpi(store, {command, "-j", "2", "--checkpoint", checkpoint.string()});
  ::unsetenv("CAS_MPI_TEST_KILL");
  EXPECT_NE(killed.exit_code, 0) << killed.out;
  EXPECT_NE(killed.err.find("rank 1"), std::string::npos) << killed.err;
  EXPECT_NE(killed.err.find("signal 9"), std::string::npos) << killed.err;
  EXPECT_EQ(killed.out, "");  // no summary from a job that did not finish
  const std::size_t buckets = buckets_of(checkpoint);
  EXPECT_EQ(buckets, 256u * 2 + 1);  // 4 ranks: prefixes cut in two for 128 buckets per rank
  EXPECT_LT(buckets_recorded(checkpoint), buckets);  // the bucket rank 1 was in is not recorded
  const RunResult resumed = t.run_mpi(store, {command, "--checkpoint", checkpoint.string()});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  EXPECT_EQ(buckets_recorded(checkpoint), buckets);
  return parse_summary(test::lines_of(resumed.out).at(0));
}

TEST_F(CasMpiTest, MigrateKilledMidwayResumesFromTheCheckpointWithNothingLost) {
  const fs::path store = tmp_ / "store";
  for (int i = 0; i < kFiles; ++i) test::write_file(store / kV0.lookup(hash_of(i)), content_of(i));
  auto summary = kill_and_resume(*this, store, "migrate", tmp_ / "checkpoint");
  // Each file is counted once, as moved or as in place (those the killed bucket had moved
  // already); one killed between link and unlink also counts as a duplicate removed.
  EXPECT_EQ(std::stoull(summary["moved"]) + std::stoull(summary["already_in_place"]),
            static_cast<unsigned>(kFiles));
  EXPECT_EQ(summary["failed"], "0");
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(test::read_file(store / kV1.lookup(hash_of(i))), content_of(i)) << i;
    EXPECT_FALSE(fs::exists(store / kV0.lookup(hash_of(i)))) << i;
  }
}

TEST_F(CasMpiTest, PurgeKilledMidwayResumesFromTheCheckpointAndEmptiesTheStore) {
  const fs::path store = make_store("v0", kV0, kV1);
  auto summary = kill_and_resume(*this, store, "purge", tmp_ / "checkpoint");
  // Files the killed bucket removed before the kill are gone uncounted; no file counts twice.
  EXPECT_LE(std::stoull(summary["files_removed"]), kFiles + 50u + 5u);
  EXPECT_GT(std::stoull(summary["files_removed"]), kFiles / 2u);
  EXPECT_EQ(summary["failed"], "0");
  std::set<std::string> left;
  for (fs::directory_iterator it(store), end; it != end; ++it) {
    left.insert(it->path().filename().string());
  }
  // What no layout recognizes stays (README, ab/stray), as with cas purge.
  EXPECT_EQ(left, (std::set<std::string>{".cas-tmp", ".cas-pins", "README", "ab"}));
}

TEST_F(CasMpiTest, AResumedJobKeepsTheSplitItsCheckpointBeganWith) {
  const fs::path store = make_store("v1", kV1, kV0);
  const fs::path checkpoint = tmp_ / "checkpoint";
  // Begun with 4 ranks (split 2); the first line and three buckets of that run, as a kill
  // would leave them. A rerun with one rank (which alone would not split) must go on with 2.
  ASSERT_EQ(run_mpi(store, {"stats", "--checkpoint", checkpoint.string()}).exit_code, 0);
  const auto lines = test::lines_of(test::read_file(checkpoint));
  test::write_file(checkpoint, lines.at(0) + "\n" + lines.at(1) + "\n" + lines.at(2) + "\n" +
                                   lines.at(3) + "\n");
  const RunResult r = cas_mpi(store, {"stats", "--json", "--checkpoint", checkpoint.string()}, 1);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from " + checkpoint.string() + ": 3 of 513 buckets done"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, cas(store, {"stats", "--json"}).out);
  EXPECT_EQ(buckets_recorded(checkpoint), 513u);
}

TEST_F(CasMpiTest, ACheckpointOfTheFirstFormatResumesWithUnsplitBuckets) {
  const fs::path store = make_store("v1", kV1, kV0);
  const fs::path checkpoint = tmp_ / "checkpoint";
  ASSERT_EQ(run_mpi(store, {"stats", "--checkpoint", checkpoint.string(), "--bucket-split", "1"})
                .exit_code,
            0);
  // Split 1 buckets are named as the first format named them; only the header differs.
  auto lines = test::lines_of(test::read_file(checkpoint));
  const std::string v2 = "cas-mpi checkpoint 2 split=1 ";
  ASSERT_TRUE(lines.at(0).starts_with(v2)) << lines.at(0);
  std::string text = "cas-mpi checkpoint 1 " + lines.at(0).substr(v2.size()) + "\n";
  for (std::size_t i = 1; i < 101; ++i) text += lines.at(i) + "\n";
  test::write_file(checkpoint, text);
  const RunResult r = run_mpi(store, {"stats", "--json", "--checkpoint", checkpoint.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("100 of 257 buckets done"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, cas(store, {"stats", "--json"}).out);
}

TEST_F(CasMpiTest, ACheckpointOfAnUnknownFormatIsRefused) {
  const fs::path store = make_store("v1", kV1, kV0);
  const fs::path checkpoint = tmp_ / "checkpoint";
  test::write_file(checkpoint, "cas-mpi checkpoint 3 something newer\n");
  const RunResult r = run_mpi(store, {"stats", "--checkpoint", checkpoint.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a checkpoint of this version of cas-mpi"), std::string::npos) << r.err;
}

TEST_F(CasMpiTest, ACheckpointOfAnotherJobIsRefused) {
  const fs::path store = make_store("v1", kV1, kV0);
  const fs::path checkpoint = tmp_ / "checkpoint";
  ASSERT_EQ(run_mpi(store, {"stats", "--checkpoint", checkpoint.string()}).exit_code, 0);
  const RunResult r = run_mpi(store, {"migrate", "--checkpoint", checkpoint.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another job"), std::string::npos) << r.err;
}

// Children that insert new files and look up existing ones until `stop` exists; each exits 0
// only when every lookup of a file that exists found it.
pid_t start_user(const fs::path& root, const fs::path& stop, int id) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int code = 0;
  try {
    Store store(root);
    for (int n = 0; !fs::exists(stop); ++n) {
      if (id == 0) {
        const int i = 100000 + n;
        test::write_file(root.parent_path() / ("in-" + std::to_string(i)), content_of(i));
        store.insert(hash_of(i), root.parent_path() / ("in-" + std::to_string(i)));
      } else if (!store.lookup(hash_of((n * 7 + id) % kFiles))) {
        code = 1;
      }
    }
    if (id == 0) test::write_file(stop.string() + ".inserted", "");
  } catch (...) {
    code = 2;
  }
  ::_exit(code);
}

TEST_F(CasMpiTest, MigrateWhileOthersInsertAndLookUpLosesNothing) {
  const fs::path store = tmp_ / "store", stop = tmp_ / "stop";
  for (int i = 0; i < kFiles; ++i) test::write_file(store / kV0.lookup(hash_of(i)), content_of(i));
  std::vector<pid_t> users;
  for (int id = 0; id < 3; ++id) users.push_back(start_user(store, stop, id));
  const RunResult r = run_mpi(store, {"migrate"});
  test::write_file(stop, "");
  for (pid_t pid : users) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "user " << pid << " missed";
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store check(store);
  for (int i = 0; i < kFiles; ++i) {
    const auto path = check.lookup(hash_of(i));
    ASSERT_TRUE(path) << "lost " << i;
    EXPECT_EQ(test::read_file(*path), content_of(i));
  }
  // What was inserted meanwhile is there too, and nothing is left under v0 that a second
  // migrate would not find in place.
  int inserted = 0;
  while (check.lookup(hash_of(100000 + inserted))) ++inserted;
  EXPECT_GT(inserted, 0);
  const RunResult again = run_mpi(store, {"migrate"});
  EXPECT_EQ(parse_summary(test::lines_of(again.out).at(0))["moved"], "0") << again.out;
}

}  // namespace
}  // namespace cas::mpi_test
