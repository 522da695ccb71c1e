// Automatic trimming (StoreOptions::limits, src/store/auto_trim.hpp): when a trim is due, one
// process at a time, and the shared counters of what was written since the last trim.
//
// Each test gives the store an age bound besides its size or count bound, and plants a file
// last used long before it: a trim (any trim) removes that file, so whether a trim ran is read
// from the disk, never from timing. Each write goes through a Store of its own, whose destructor
// waits for the trim it started: the store is settled when the next check looks.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr std::time_t kDay = 86400;

// 100 bytes each, so a size bound counts them as exactly as a count bound.
std::string content_of(int i) {
  std::string s = "auto trim file " + std::to_string(i) + " ";
  s.resize(100, '.');
  return s;
}
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

class AutoTrimTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_ / "cache"; }
  fs::path path_of(const std::string& hash) const { return root() / V1Layout().lookup(hash); }

  // Bounds that what the tests insert (at most 40 files of 100 bytes) never exceeds: a trim
  // removes only what the age bound catches. With low_water 0.75 a trim is due once a quarter of
  // the count (or size) bound has been written since the last one: every 10th write. The age
  // bound's quarter, 7.5 days, does not pass during a test; it is due at the very first write
  // (no trim has ever run), which starts every test with a trim.
  static StoreOptions limited_by_files() {
    StoreOptions o;
    o.limits.max_files = 40;
    o.limits.max_age = std::chrono::seconds(30 * kDay);
    o.limits.low_water = 0.75;
    return o;
  }
  static StoreOptions limited_by_bytes() {
    StoreOptions o;
    o.limits.max_bytes = 4000;
    o.limits.max_age = std::chrono::seconds(30 * kDay);
    o.limits.low_water = 0.75;
    return o;
  }

  // Inserts file i through a Store of its own and waits for the trim it may have started.
  void write(int i, const StoreOptions& options) {
    const fs::path part = tmp_ / ("part-" + std::to_string(i));
    test::write_file(part, content_of(i));
    Store store(root(), options);
    store.insert(hash_of(i), part);
  }  // ~Store waits for its trim

  // A file last used 60 days ago, written behind the store's back (not counted): the next trim
  // removes it, as it is older than the age bound.
  std::string plant_stale(const std::string& name) {
    const std::string hash = hash_bytes(name, HashAlgorithm::sha256);
    test::write_file(path_of(hash), name);
    test::set_mtime(path_of(hash), std::time(nullptr) - 60 * kDay);
    return hash;
  }

  // Three rounds of ten writes after the first trim: the first nine of each leave a stale
  // file in place, the tenth removes it.
  void expect_a_trim_every_tenth_write(const StoreOptions& options) {
    std::string stale = plant_stale("stale 0");
    write(0, options);  // the first write ever: a trim is due by age
    ASSERT_FALSE(fs::exists(path_of(stale))) << "the first write did not trim";
    int next = 1;
    for (int round = 1; round <= 3; ++round) {
      stale = plant_stale("stale " + std::to_string(round));
      for (int k = 1; k < 10; ++k, ++next) {
        write(next, options);
        ASSERT_TRUE(fs::exists(path_of(stale)))
            << "round " << round << ": write " << k << " since the last trim trimmed again";
      }
      write(next++, options);
      EXPECT_FALSE(fs::exists(path_of(stale)))
          << "round " << round << ": the 10th write since the last trim did not trim";
    }
    // The trims removed only the stale files: every file written is there.
    for (int i = 0; i < next; ++i) EXPECT_TRUE(fs::exists(path_of(hash_of(i)))) << i;
  }

  test::TempDir tmp_;
};

// The counters of what was written since the last trim start again from zero when a trim
// begins: after a trim, the next one is due only once another quarter of the bound is written
// (10 files, or 1000 bytes), not at every later write.
TEST_F(AutoTrimTest, AfterATrimTheNextIsDueOnlyWhenAnotherShareOfTheCountBoundIsWritten) {
  expect_a_trim_every_tenth_write(limited_by_files());
}

TEST_F(AutoTrimTest, AfterATrimTheNextIsDueOnlyWhenAnotherShareOfTheSizeBoundIsWritten) {
  expect_a_trim_every_tenth_write(limited_by_bytes());
}

// Writes of every process count toward one trim (the counters are shared in .cas-trim).
TEST_F(AutoTrimTest, WritesOfSeveralProcessesAddUpToOneDueTrim) {
  const StoreOptions options = limited_by_files();
  write(0, options);  // the first trim: the counters start from zero after it
  const std::string stale = plant_stale("stale");
  for (int p = 0; p < 3; ++p) {  // three processes write three files each
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        for (int k = 0; k < 3; ++k) write(1 + 3 * p + k, options);
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_TRUE(fs::exists(path_of(stale))) << "9 writes, by three processes, trimmed";
  write(10, options);
  EXPECT_FALSE(fs::exists(path_of(stale))) << "the 10th write of all processes did not trim";
}

// Another process holds root/.cas-trim's lock (it is trimming): no write of this process trims
// meanwhile, however due a trim is; once the lock is released, the next write trims (what was
// written meanwhile still counts).
TEST_F(AutoTrimTest, TwoProcessesNeverTrimAtOnce) {
  const StoreOptions options = limited_by_files();
  write(0, options);  // creates root/.cas-trim; the first trim resets the counters
  int locked[2], release[2];
  ASSERT_EQ(::pipe2(locked, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  const std::string lock_file = (root() / ".cas-trim").string();
  pid_t trimmer = ::fork();
  ASSERT_GE(trimmer, 0);
  if (trimmer == 0) {  // the other process: takes the lock as a trimming process holds it
    ::close(locked[0]);
    ::close(release[1]);
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
    char ok = fd >= 0 && ::flock(fd, LOCK_EX) == 0 ? 'y' : 'n';
    if (::write(locked[1], &ok, 1) != 1) ::_exit(1);
    char c;
    while (::read(release[0], &c, 1) > 0) {
    }
    ::_exit(0);  // the lock goes with the process
  }
  ::close(locked[1]);
  ::close(release[0]);
  char ok = 0;
  ASSERT_EQ(::read(locked[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y') << "the other process could not lock " << lock_file;

  const std::string stale = plant_stale("stale");
  for (int i = 1; i <= 15; ++i) {  // the 10th write on is due
    write(i, options);
    ASSERT_TRUE(fs::exists(path_of(stale)))
        << "write " << i << " trimmed while another process held the trim lock";
  }
  ::close(release[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(trimmer, &status, 0), trimmer);
  ::close(locked[0]);
  write(16, options);
  EXPECT_FALSE(fs::exists(path_of(stale)))
      << "the first due write after the lock went did not trim";
}

}  // namespace
}  // namespace cas
