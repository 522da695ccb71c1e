// distribute(): hands a job's buckets out to the ranks, one at a time, from one counter that
// rank 0 keeps. Each rank runs `slots` buckets at once, on threads of its own; it asks rank 0
// for a bucket whenever a slot frees, and sends the bucket's Tally with that request (keeping
// one request in flight ahead, so it never waits for an answer), so a slow rank (a straggling
// metadata server, a busy node) simply takes fewer buckets: when the list is used up rank 0
// answers "none", and the rank says it is done once it has sent every result. Rank 0 works
// too, on `slots` threads that take buckets from the same counter without messages, started
// once every other rank's first request is in (so that no rank starts ahead of the others);
// only each rank's main thread calls MPI (MPI_THREAD_FUNNELED).
//
// Why slots, not one bucket at a time with many walker threads: a bucket of a V1 store is one
// directory, and the walker visits a directory's files on the one thread that reads it, so a
// rank running one bucket at a time kept one unlink or rename in flight: purge of 200k files
// took 9.7 s with 4 ranks against `cas`'s 1.5 s (64 in flight).
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
// the ranks of MPI_COMM_WORLD, `slots` (at least 1) at a time on each rank: `work` is called
// concurrently from that many threads. On rank 0, `done(bucket, tally)` is called once per
// bucket as its result arrives, one call at a time (from rank 0's main thread or one of its
// worker threads); other ranks pass an empty `done`. What `work` throws ends the job: the
// message is printed by the rank that ran it and the job aborts (MPI_Abort) with exit code 1.
// Returns when every bucket is done, on every rank (it ends in a barrier, so that calls in
// sequence never mix).
void distribute(const std::vector<std::size_t>& order, unsigned slots,
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
