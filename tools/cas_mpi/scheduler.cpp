#include "scheduler.hpp"

#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

namespace cas::mpi {
namespace {

constexpr int kTagResult = 1;  // rank -> 0: [int64 bucket or -1] + encoded Tally
constexpr int kTagNext = 2;    // 0 -> rank: int64 bucket, or -1 for "no more"

// How long a waiting rank sleeps between polls: short against a bucket's time (milliseconds
// to seconds), long enough that a waiting rank costs no CPU.
void nap() { ::usleep(100); }

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Runs `work` and turns what it throws into the end of the whole job.
Tally run_or_abort(const std::function<Tally(std::size_t)>& work, std::size_t bucket) {
  try {
    return work(bucket);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cas: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "cas: unknown error\n");
  }
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // MPI_Abort does not return; this keeps the compiler sure of it
}

// Rank 0's side: the counter, and the results as they come in.
class Dispatcher {
 public:
  Dispatcher(const std::vector<std::size_t>& order,
             const std::function<void(std::size_t, Tally&&)>& done)
      : order_(order), done_(done) {}

  // Records the result of `finished` (when >= 0) and returns the next bucket, or -1.
  std::int64_t next(std::int64_t finished, Tally&& tally) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished >= 0) done_(static_cast<std::size_t>(finished), std::move(tally));
    if (next_ == order_.size()) return -1;
    return static_cast<std::int64_t>(order_[next_++]);
  }

 private:
  const std::vector<std::size_t>& order_;
  const std::function<void(std::size_t, Tally&&)>& done_;
  std::mutex mu_;
  std::size_t next_ = 0;
};

// Rank 0's main thread: answers the other ranks until each has been told "no more".
void serve(Dispatcher& dispatcher, int ranks) {
  int finished_ranks = 0;
  while (finished_ranks < ranks - 1) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &status);
    if (!flag) {
      nap();
      continue;
    }
    int size = 0;
    MPI_Get_count(&status, MPI_BYTE, &size);
    std::string message(static_cast<std::size_t>(size), '\0');
    MPI_Recv(message.data(), size, MPI_BYTE, status.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    std::int64_t finished;
    std::memcpy(&finished, message.data(), sizeof finished);
    Tally tally = finished >= 0 ? decode(message.substr(sizeof finished)) : Tally();
    std::int64_t next = dispatcher.next(finished, std::move(tally));
    MPI_Send(&next, 1, MPI_INT64_T, status.MPI_SOURCE, kTagNext, MPI_COMM_WORLD);
    if (next < 0) ++finished_ranks;
  }
}

// A rank other than 0: ask, work, report with the next request, until told "no more".
void ask_and_work(const std::function<Tally(std::size_t)>& work) {
  std::int64_t finished = -1;
  Tally tally;
  for (;;) {
    std::string message(sizeof finished, '\0');
    std::memcpy(message.data(), &finished, sizeof finished);
    if (finished >= 0) message += encode(tally);
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, 0, kTagResult,
             MPI_COMM_WORLD);
    std::int64_t next = -1;
    MPI_Request request;
    MPI_Irecv(&next, 1, MPI_INT64_T, 0, kTagNext, MPI_COMM_WORLD, &request);
    for (int flag = 0; MPI_Test(&request, &flag, MPI_STATUS_IGNORE), !flag;) nap();
    if (next < 0) return;
    tally = run_or_abort(work, static_cast<std::size_t>(next));
    finished = next;
  }
}

}  // namespace

void distribute(const std::vector<std::size_t>& order,
                const std::function<Tally(std::size_t)>& work,
                const std::function<void(std::size_t, Tally&&)>& done) {
  if (rank() != 0) {
    ask_and_work(work);
  } else {
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    Dispatcher dispatcher(order, done);
    std::thread local([&] {
      Tally tally;
      for (std::int64_t b = dispatcher.next(-1, {}); b >= 0;
           b = dispatcher.next(b, std::move(tally))) {
        tally = run_or_abort(work, static_cast<std::size_t>(b));
      }
    });
    serve(dispatcher, ranks);
    local.join();
  }
  // A rank told "no more" must not ask for the next distribute()'s first bucket while rank 0
  // still serves this one's.
  quiet_barrier();
}

void quiet_barrier() {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int flag = 0; MPI_Test(&request, &flag, MPI_STATUS_IGNORE), !flag;) nap();
}

}  // namespace cas::mpi
