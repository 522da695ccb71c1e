// Checkpoint: the file behind --checkpoint FILE. Rank 0 appends one line per finished bucket
// ("<bucket> <count> <count> ...") and fsyncs it before the bucket counts as done, so a job
// killed at any instant (a rank dies, the allocation ends) resumes with every bucket that was
// recorded and redoes only those in flight. Each line holds the bucket's whole counts, so the
// resumed job's totals add up to an uninterrupted run's. A line cut short by the kill (no
// newline at its end) is ignored: its bucket is done again.
//
// The first line names the job and the buckets' split ("cas-mpi checkpoint 2 split=<S> <job>";
// format 1, "cas-mpi checkpoint 1 <job>", was written before buckets were split and means split
// 1): a checkpoint of another command, store or option set is refused rather than mixed in,
// and a resumed job uses the split it began with, whatever its number of ranks.
//
// Thread-safety: one thread (rank 0's scheduler) at a time.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "unique_file.hpp"

namespace cas::mpi {

class Checkpoint {
 public:
  // How record() makes an appended line durable: called with the checkpoint's descriptor once
  // the line is written, it returns 0, or -1 with errno set, as fdatasync(2) does. The default
  // is ::fdatasync; the seam is for tests, which count the calls and see what each one covers.
  using DataSync = std::function<int(int fd)>;

  // Opens (creating it when missing, for buckets of `split` parts) the checkpoint at `path` for
  // the job described by `job` (one line, no newline), sets the job's split (buckets.hpp) to the
  // file's, and loads the buckets it records. Throws std::runtime_error naming the path when it
  // cannot be read or written, or was written for another job or by an unknown format.
  Checkpoint(std::string path, const std::string& job, unsigned split,
             DataSync data_sync = ::fdatasync);

  // The buckets recorded so far, with their counts.
  const std::map<std::size_t, std::vector<std::uint64_t>>& done() const { return done_; }

  // Appends the bucket's counts and syncs the file's data (DataSync) before it returns. Throws
  // std::runtime_error naming the path when the write or the sync fails (the bucket must not
  // count as saved then, and done() does not list it).
  void record(std::size_t bucket, const std::vector<std::uint64_t>& counts);

 private:
  void load(const std::string& text, const std::string& job);

  std::string path_;
  DataSync data_sync_;
  UniqueFile file_;
  std::map<std::size_t, std::vector<std::uint64_t>> done_;
};

}  // namespace cas::mpi
