#include "scheduler.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cas::mpi {
namespace {

constexpr int kTagResult = 1;  // rank -> 0: int64 bucket or -1, int64 want, encoded Tally
constexpr int kTagNext = 2;    // 0 -> rank: int64 bucket, or -1 for "no more"

// How long a waiting rank sleeps between polls: short against a bucket's time (milliseconds
// to seconds), long enough that a waiting rank costs no CPU.
void nap() { ::usleep(100); }

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Messages sent without waiting for their delivery: MPI_Isend from a buffer kept until the send
// completes, so that a rank goes on with its buckets while rank 0 (busy, or descheduled on a
// loaded node) has not taken the message yet. (What made each send cost ~3 ms on this 2-core
// host, blocking or not, was Open MPI yielding the CPU inside it: main() turns that off.)
class Outbox {
 public:
  // Sends `count` items of `type` held in `data` to `dest`.
  void post(std::string data, MPI_Datatype type, int count, int dest, int tag) {
    sent_.push_back({std::move(data), MPI_REQUEST_NULL});  // a list: the buffer never moves
    Sent& s = sent_.back();
    MPI_Isend(s.data.data(), count, type, dest, tag, MPI_COMM_WORLD, &s.request);
    reap();
  }

  // Frees what has been delivered.
  void reap() {
    for (auto it = sent_.begin(); it != sent_.end();) {
      int flag = 0;
      MPI_Test(&it->request, &flag, MPI_STATUS_IGNORE);
      it = flag ? sent_.erase(it) : std::next(it);
    }
  }

  // Waits until every message is delivered, without spinning.
  void flush() {
    for (reap(); !sent_.empty(); reap()) nap();
  }

 private:
  struct Sent {
    std::string data;
    MPI_Request request;
  };
  std::list<Sent> sent_;
};

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

  // Records the result of `finished` (when >= 0) and, when `want`, returns the next bucket, or
  // -1 when there is none (or none is wanted).
  std::int64_t next(std::int64_t finished, Tally&& tally, bool want = true) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished >= 0) done_(static_cast<std::size_t>(finished), std::move(tally));
    if (!want || next_ == order_.size()) return -1;
    return static_cast<std::int64_t>(order_[next_++]);
  }

 private:
  const std::vector<std::size_t>& order_;
  const std::function<void(std::size_t, Tally&&)>& done_;
  std::mutex mu_;
  std::size_t next_ = 0;
};

// Rank 0's main thread: records the other ranks' results and answers their requests until each
// has said it is done (a message with no result that wants nothing). Calls `all_asked` once
// every other rank's first message is in (at once when there is no other rank).
void serve(Dispatcher& dispatcher, int ranks, const std::function<void()>& all_asked) {
  Outbox answers;
  int done_ranks = 0;
  std::vector<bool> heard(static_cast<std::size_t>(ranks), false);
  int unheard = ranks - 1;
  if (unheard == 0) all_asked();
  while (done_ranks < ranks - 1) {
    int flag = 0;
    MPI_Status status;
    answers.reap();
    MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &status);
    if (!flag) {
      nap();
      continue;
    }
    if (!heard[static_cast<std::size_t>(status.MPI_SOURCE)]) {
      heard[static_cast<std::size_t>(status.MPI_SOURCE)] = true;
      if (--unheard == 0) all_asked();
    }
    int size = 0;
    MPI_Get_count(&status, MPI_BYTE, &size);
    std::string message(static_cast<std::size_t>(size), '\0');
    MPI_Recv(message.data(), size, MPI_BYTE, status.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    std::int64_t head[2];  // finished, want
    std::memcpy(head, message.data(), sizeof head);
    Tally tally = head[0] >= 0 ? decode(message.substr(sizeof head)) : Tally();
    const std::int64_t next = dispatcher.next(head[0], std::move(tally), head[1] != 0);
    if (head[1] != 0) {
      answers.post(std::string(reinterpret_cast<const char*>(&next), sizeof next), MPI_INT64_T, 1,
                   status.MPI_SOURCE, kTagNext);
    } else if (head[0] < 0) {
      ++done_ranks;
    }
  }
  answers.flush();
}

// A rank other than 0: its main thread talks to rank 0, `slots` worker threads run buckets.
// It keeps one request in flight per slot and one beyond, so that the answer (rank 0's main
// thread may be descheduled for milliseconds on a loaded node) is there when a slot frees:
// without that, ranks other than 0 spent a third of their time waiting. The cost: a rank may
// hold one bucket more than it needed at the end.
class Asker {
 public:
  explicit Asker(unsigned slots) : slots_(std::max(slots, 1u)) {}

  void run(const std::function<Tally(std::size_t)>& work) {
    for (unsigned i = 0; i <= slots_; ++i) send(-1, true, nullptr);
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < slots_; ++i) workers.emplace_back([&] { work_loop(work); });
    while (!finished()) {
      if (!send_results() && !receive()) nap();
    }
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers) t.join();
    send(-1, false, nullptr);  // done: rank 0 stops serving once every rank has said so
    outbox_.flush();
  }

 private:
  // A worker: runs the buckets handed to it until the rank is done.
  void work_loop(const std::function<Tally(std::size_t)>& work) {
    std::unique_lock lock(mu_);
    for (;;) {
      ready_.wait(lock, [&] { return closing_ || !held_.empty(); });
      if (held_.empty()) return;
      const std::int64_t bucket = held_.front();
      held_.pop_front();
      ++running_;
      lock.unlock();
      Tally tally = run_or_abort(work, static_cast<std::size_t>(bucket));
      lock.lock();
      --running_;
      results_.emplace_back(bucket, std::move(tally));
    }
  }

  // Main thread: sends the finished buckets' results (each asking for the next bucket until
  // rank 0 said there is none). Returns whether there were any.
  bool send_results() {
    std::deque<std::pair<std::int64_t, Tally>> ready;
    {
      std::lock_guard lock(mu_);
      ready.swap(results_);
    }
    for (const auto& [bucket, tally] : ready) send(bucket, !exhausted_, &tally);
    return !ready.empty();
  }

  // Main thread: takes in the answer to the oldest request if it has come (answers come in the
  // order asked) and hands its bucket to the workers. Returns whether one came.
  bool receive() {
    if (outstanding_ == 0) return false;
    if (!receiving_) {
      MPI_Irecv(&answer_, 1, MPI_INT64_T, 0, kTagNext, MPI_COMM_WORLD, &request_);
      receiving_ = true;
    }
    int flag = 0;
    MPI_Test(&request_, &flag, MPI_STATUS_IGNORE);
    if (!flag) return false;
    receiving_ = false;
    --outstanding_;
    if (answer_ < 0) {
      exhausted_ = true;
      return true;
    }
    {
      std::lock_guard lock(mu_);
      held_.push_back(answer_);
    }
    ready_.notify_one();
    return true;
  }

  // Main thread: told "no more", every answer in, every bucket run and its result sent.
  bool finished() {
    if (!exhausted_ || outstanding_ > 0) return false;
    std::lock_guard lock(mu_);
    return held_.empty() && running_ == 0 && results_.empty();
  }

  void send(std::int64_t finished, bool want, const Tally* tally) {
    const std::int64_t head[2] = {finished, want ? 1 : 0};
    std::string message(reinterpret_cast<const char*>(head), sizeof head);
    if (tally) message += encode(*tally);
    const int size = static_cast<int>(message.size());
    outbox_.post(std::move(message), MPI_BYTE, size, 0, kTagResult);
    if (want) ++outstanding_;
  }

  const unsigned slots_;
  // The main thread's alone.
  Outbox outbox_;
  int outstanding_ = 0;
  bool exhausted_ = false;
  bool receiving_ = false;
  std::int64_t answer_ = -1;
  MPI_Request request_ = MPI_REQUEST_NULL;
  // Shared with the workers, under mu_.
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::int64_t> held_;                       // buckets not started yet
  std::deque<std::pair<std::int64_t, Tally>> results_;  // results not sent yet
  unsigned running_ = 0;
  bool closing_ = false;
};

}  // namespace

void distribute(const std::vector<std::size_t>& order, unsigned slots,
                const std::function<Tally(std::size_t)>& work,
                const std::function<void(std::size_t, Tally&&)>& done) {
  if (rank() != 0) {
    Asker(slots).run(work);
  } else {
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    Dispatcher dispatcher(order, done);
    std::vector<std::thread> local;
    // Rank 0's own slots start once every rank has asked: started at once, they took every
    // bucket of a small store (513 buckets of one file each in 25 ms) before the other ranks'
    // first requests came in, and the largest of verify's buckets in any store.
    serve(dispatcher, ranks, [&] {
      for (unsigned i = 0; i < std::max(slots, 1u); ++i) {
        local.emplace_back([&] {
          Tally tally;
          for (std::int64_t b = dispatcher.next(-1, {}); b >= 0;
               b = dispatcher.next(b, std::move(tally))) {
            tally = run_or_abort(work, static_cast<std::size_t>(b));
          }
        });
      }
    });
    for (auto& t : local) t.join();
  }
  // A rank told "no more" must not ask for the next distribute()'s first bucket while rank 0
  // still serves this one's.
  quiet_barrier();
}

void quiet_barrier() {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  quiet_wait(request);
}

void quiet_wait(MPI_Request& request) {
  for (int flag = 0; MPI_Test(&request, &flag, MPI_STATUS_IGNORE), !flag;) nap();
}

void quiet_bcast(void* buffer, int count, MPI_Datatype type) {
  MPI_Request request;
  MPI_Ibcast(buffer, count, type, 0, MPI_COMM_WORLD, &request);
  quiet_wait(request);
}

}  // namespace cas::mpi
