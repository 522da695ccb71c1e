// cas-mpi's checkpoint (tools/cas_mpi/checkpoint.hpp) on its own, without mpirun: a bucket
// counts as saved only once its line is durable. The checkpoint's data sync is counted through
// its seam (Checkpoint::DataSync), which here also looks at what the file holds at each sync.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "buckets.hpp"
#include "checkpoint.hpp"
#include "test_util.hpp"

namespace cas::mpi {
namespace {

namespace fs = boost::filesystem;

const std::string kJob = "trim --max-files 5 /some/store";

// What each sync was asked for: the descriptor's file and what it held by then.
struct Sync {
  ino_t inode = 0;
  std::string content;
};

class CheckpointTest : public ::testing::Test {
 protected:
  // A sync that records what it covers, then syncs for real (or fails with `fail_with`).
  Checkpoint::DataSync recording_sync() {
    return [this](int fd) {
      struct stat st;
      Sync s;
      if (::fstat(fd, &st) == 0) s.inode = st.st_ino;
      s.content = test::read_file(path_);
      syncs_.push_back(s);
      if (fail_with_ != 0) {
        errno = fail_with_;
        return -1;
      }
      return ::fdatasync(fd);
    };
  }

  ino_t inode() const {
    struct stat st;
    EXPECT_EQ(::stat(path_.c_str(), &st), 0);
    return st.st_ino;
  }

  test::TempDir tmp_;
  const fs::path path_ = tmp_ / "checkpoint";
  std::vector<Sync> syncs_;
  int fail_with_ = 0;
};

TEST_F(CheckpointTest, EveryRecordedLineIsDataSyncedBeforeRecordReturns) {
  Checkpoint checkpoint(path_.string(), kJob, 2, recording_sync());
  const std::string header = test::read_file(path_);
  ASSERT_EQ(header, "cas-mpi checkpoint 2 split=2 " + kJob + "\n");
  const std::vector<std::pair<std::size_t, std::vector<std::uint64_t>>> buckets = {
      {0, {3, 1, 4}}, {7, {1, 5, 9}}, {rest_bucket(), {2, 6, 5}}};
  std::string expected = header;
  for (const auto& [bucket, counts] : buckets) {
    const std::size_t before = syncs_.size();
    checkpoint.record(bucket, counts);
    expected += bucket_name(bucket);
    for (auto v : counts) expected += " " + std::to_string(v);
    expected += "\n";
    // One sync of the checkpoint's own file, made after the line was written.
    ASSERT_EQ(syncs_.size(), before + 1) << "record(" << bucket_name(bucket) << ") did not sync";
    EXPECT_EQ(syncs_.back().inode, inode());
    EXPECT_EQ(syncs_.back().content, expected);
  }
  EXPECT_EQ(checkpoint.done().size(), buckets.size());
  // What was synced is what a resumed job loads.
  Checkpoint resumed(path_.string(), kJob, 1, recording_sync());
  EXPECT_EQ(resumed.done(), checkpoint.done());
}

TEST_F(CheckpointTest, ABucketWhoseSyncFailsIsNotSavedAndRecordThrowsNamingTheFile) {
  Checkpoint checkpoint(path_.string(), kJob, 2, recording_sync());
  checkpoint.record(1, {10});
  fail_with_ = EIO;
  try {
    checkpoint.record(2, {20});
    FAIL() << "a failed sync was not reported";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path_.string()), std::string::npos) << what;
    EXPECT_NE(what.find("fdatasync"), std::string::npos) << what;
    EXPECT_NE(what.find(std::strerror(EIO)), std::string::npos) << what;
  }
  EXPECT_EQ(syncs_.size(), 2u);
  EXPECT_EQ(checkpoint.done().count(1), 1u);
  EXPECT_EQ(checkpoint.done().count(2), 0u) << "a bucket whose line is not durable counts as done";
}

}  // namespace
}  // namespace cas::mpi
