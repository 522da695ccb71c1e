// Job: one store-wide command as cas-mpi runs it — how to run one bucket (on any rank), how to
// add a bucket's result to the totals, and how rank 0 ends the command (errors, the summary
// line, the exit code) exactly as `cas` does. run_job() drives it across the ranks.
//
// Thread-safety: run_job is collective (every rank's main thread); `run` is called from one
// thread of a rank at a time, `fold` and `finish` only on rank 0, one call at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cas/operations.hpp"
#include "tally.hpp"

namespace cas::mpi {

struct Job {
  std::string command;  // "migrate", "verify", ... (the summary's title)
  // What a checkpoint must match to be resumed: the command, the store and every option that
  // changes the result (one line).
  std::string identity;
  // Runs the command on one bucket (a scope: src/store/scope.hpp) and returns its counts.
  std::function<Tally(std::size_t bucket)> run;
  // Adds a bucket's result to the totals; unset: add() (counts elementwise).
  std::function<void(Tally& total, const Tally& part)> fold;
  // Rank 0, once every bucket is done: prints what `cas` prints and returns its exit code.
  std::function<int(const Tally& total)> finish;
  // verify: hand the buckets out largest first by bytes, measured by a size pass first.
  bool balance_by_bytes = false;
};

struct JobOptions {
  std::optional<std::string> checkpoint;  // --checkpoint FILE
  bool stats_per_rank = false;            // --stats-per-rank
  unsigned threads = 1;                   // buckets each rank runs at once (-j)
  std::string root;                       // the store (the size pass walks it)
  unsigned split = 0;  // --bucket-split: parts per prefix (buckets.hpp); 0: split_for(ranks)
};

// Runs `job` on every bucket not recorded in the checkpoint, each bucket once across the ranks
// (scheduler.hpp), recording each in the checkpoint as it completes; then rank 0 calls finish
// and prints the per-rank figures when asked. Returns the exit code on every rank. Throws
// std::runtime_error (on rank 0) when the checkpoint cannot be opened or written; a bucket's
// failure to run ends the job (MPI_Abort).
int run_job(const Job& job, const JobOptions& options);

// Options shared by every bucket's run: one walker thread (a rank runs -j buckets at once,
// scheduler.hpp), dry run, the scope of `bucket`, and a progress callback that counts the files
// and bytes of the run into `tally` (and, in tests, kills this rank once
// CAS_MPI_TEST_KILL="<rank>:<files>" is reached).
void prepare(OperationOptions& options, bool dry_run, std::size_t bucket, Tally& tally);

}  // namespace cas::mpi
