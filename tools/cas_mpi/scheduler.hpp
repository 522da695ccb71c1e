// distribute(): hands a job's buckets out to the ranks, one at a time, from one counter that
// rank 0 keeps. A rank asks rank 0 for a bucket, runs it, and sends the bucket's Tally with
// its next request (keeping one request in flight ahead, so it never waits for an answer), so
// a slow rank (a straggling metadata server, a busy node) simply takes fewer buckets: when the
// list is used up rank 0 answers "none", and the rank says it is done once it has sent every
// result. Rank 0 works too, on a thread of its own that
// takes buckets from the same counter without messages; only rank 0's main thread calls MPI
// (MPI_THREAD_FUNNELED).
//
// Why rank 0 answering rather than MPI_Fetch_and_op on a window: the answer carries the
// previous bucket's result in the same round trip, and rank 0 must see each result anyway to
// record it in the checkpoint before the bucket counts as done.
//
// Waiting is done by polling with short sleeps (MPI_Iprobe, MPI_Test), never in a blocking MPI
// call: Open MPI's blocking calls spin, and on an oversubscribed node a spinning rank takes the
// CPU from the ranks that still work.
//
// Thread-safety: collective; call from every rank's main thread with the same `order`.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <functional>
#include <vector>

#include "tally.hpp"

namespace cas::mpi {

// Runs `work(bucket)` once for every bucket of `order`, in that order of handing out, across
// the ranks of MPI_COMM_WORLD. On rank 0, `done(bucket, tally)` is called once per bucket as
// its result arrives, one call at a time (from rank 0's main thread or its worker thread);
// other ranks pass an empty `done`. What `work` throws ends the job: the message is printed by
// the rank that ran it and the job aborts (MPI_Abort) with exit code 1. Returns when every
// bucket is done, on every rank (it ends in a barrier, so that calls in sequence never mix).
void distribute(const std::vector<std::size_t>& order,
                const std::function<Tally(std::size_t bucket)>& work,
                const std::function<void(std::size_t bucket, Tally&& tally)>& done);

// Waits for every rank without spinning (MPI_Ibarrier, then MPI_Test with sleeps).
void quiet_barrier();

// Waits for `request` to complete without spinning (MPI_Test with sleeps).
void quiet_wait(MPI_Request& request);

// MPI_Bcast from rank 0, waited for without spinning: a rank waiting in a blocking collective
// on an oversubscribed host spins and takes the CPU from the rank it waits for.
void quiet_bcast(void* buffer, int count, MPI_Datatype type);

}  // namespace cas::mpi
