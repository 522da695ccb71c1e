// run_job: a store-wide command run bucket by bucket across the MPI ranks (job.hpp says how).
#include "job.hpp"

#include <mpi.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "buckets.hpp"
#include "cas/walker.hpp"
#include "checkpoint.hpp"
#include "scheduler.hpp"
#include "store/scope.hpp"

namespace cas::mpi {
namespace {

int g_rank = 0;
std::atomic<std::uint64_t> g_files_before{0};  // files of this rank's earlier buckets

// CAS_MPI_TEST_KILL="<rank>:<files>": the rank SIGKILLs itself once it has visited that many
// files, in the middle of a bucket: how the tests kill a rank at an instant they choose.
std::optional<std::uint64_t> kill_after() {
  static const std::optional<std::uint64_t> limit = []() -> std::optional<std::uint64_t> {
    const char* spec = std::getenv("CAS_MPI_TEST_KILL");
    if (!spec) return std::nullopt;
    char* colon = nullptr;
    const long rank = std::strtol(spec, &colon, 10);
    if (*colon != ':' || rank != g_rank) return std::nullopt;
    return std::strtoull(colon + 1, nullptr, 10);
  }();
  return limit;
}

// The bytes of regular files in `bucket`: the size pass that orders verify's buckets. The
// bucket's entries are chosen as the engine chooses them (its scope, src/store/scope.hpp),
// before they are stat'ed. One walker thread: a rank measures -j buckets at once.
Tally measure(const std::string& root, std::size_t bucket) {
  OperationOptions bounds;
  limit_to(bounds, bucket);
  WalkOptions wo;
  wo.threads = 1;
  wo.xdev = true;
  wo.stat_entries = true;
  wo.report_directories = true;
  wo.filter = [&](const WalkEntry& e) {
    if (e.depth == 1) return detail::in_scope(bounds, e.name);
    if (e.depth != 2) return true;
    const std::string_view top = std::string_view(e.rel_path).substr(0, e.rel_path.find('/'));
    return detail::in_sub_scope(bounds, top, e.name);
  };
  std::atomic<std::uint64_t> bytes{0};
  Walker walker(wo);
  walker.walk(root, [&](const WalkEntry& e) {
    if (e.depth == 1 && !detail::in_sub_scope(bounds, e.name, {})) return WalkAction::proceed;
    if (e.st && S_ISREG(e.st->st_mode)) bytes += static_cast<std::uint64_t>(e.st->st_size);
    return WalkAction::proceed;
  });
  Tally t;
  t.counts = {bytes.load()};
  return t;
}

// Rank 0 learns each pending bucket's bytes and returns them largest first. Handing the
// heaviest out first and the light ones last lets the counter even out the ranks' bytes:
// whatever a rank is left with at the end is a small bucket (the longest-processing-time rule).
std::vector<std::size_t> largest_first(const std::vector<std::size_t>& pending,
                                       const JobOptions& options) {
  std::vector<std::uint64_t> bytes(bucket_count(), 0);
  std::mutex mu;
  distribute(
      pending, options.threads, [&](std::size_t b) { return measure(options.root, b); },
      [&](std::size_t b, Tally&& t) {
        std::lock_guard<std::mutex> lock(mu);
        bytes[b] = t.counts.at(0);
      });
  std::vector<std::size_t> order = pending;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return bytes[a] > bytes[b]; });
  return order;
}

// What this rank did: buckets, files, bytes, seconds.
struct RankWork {
  double buckets = 0, files = 0, bytes = 0, seconds = 0;
};

void print_per_rank(const std::vector<RankWork>& ranks) {
  RankWork max, sum;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    const RankWork& w = ranks[r];
    std::printf("rank %zu: buckets=%.0f files=%.0f bytes=%.0f seconds=%.3f\n", r, w.buckets,
                w.files, w.bytes, w.seconds);
    max = {std::max(max.buckets, w.buckets), std::max(max.files, w.files),
           std::max(max.bytes, w.bytes), std::max(max.seconds, w.seconds)};
    sum = {sum.buckets + w.buckets, sum.files + w.files, sum.bytes + w.bytes,
           sum.seconds + w.seconds};
  }
  const double n = static_cast<double>(ranks.size());
  auto ratio = [n](double m, double s) { return s > 0 ? m * n / s : 1.0; };
  std::printf("ranks: max/mean files=%.3f bytes=%.3f seconds=%.3f\n", ratio(max.files, sum.files),
              ratio(max.bytes, sum.bytes), ratio(max.seconds, sum.seconds));
}

// Every rank's RankWork, on rank 0.
std::vector<RankWork> gather(const RankWork& mine, int ranks) {
  std::vector<RankWork> all(static_cast<std::size_t>(g_rank == 0 ? ranks : 0));
  MPI_Request request;
  MPI_Igather(&mine, 4, MPI_DOUBLE, all.data(), 4, MPI_DOUBLE, 0, MPI_COMM_WORLD, &request);
  quiet_wait(request);
  return all;
}

// What rank 0 alone keeps through a job: the checkpoint it reads and writes, and the totals,
// started with what the checkpoint holds.
struct Ledger {
  std::unique_ptr<Checkpoint> checkpoint;
  Tally total;
};

// Rank 0: sets the split `split_setting`, opens the checkpoint when one is asked for (a resumed
// job keeps the split it began with, written back to `split_setting`), starts the totals with
// the buckets it holds and returns the others, still to do. Sets `failed` when the checkpoint
// cannot be opened.
std::vector<std::size_t> open_ledger(const Job& job, const JobOptions& options, Ledger& ledger,
                                     int& split_setting, int& failed) {
  set_split(static_cast<unsigned>(split_setting));
  try {
    if (options.checkpoint) {
      ledger.checkpoint = std::make_unique<Checkpoint>(*options.checkpoint, job.identity, split());
      split_setting = static_cast<int>(split());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cas: %s: %s\n", job.command.c_str(), e.what());
    failed = 1;
  }
  const Checkpoint* checkpoint = ledger.checkpoint.get();
  if (checkpoint && !checkpoint->done().empty()) {
    std::fprintf(stderr, "cas-mpi: %s: resuming from %s: %zu of %zu buckets done\n",
                 job.command.c_str(), options.checkpoint->c_str(), checkpoint->done().size(),
                 bucket_count());
  }
  std::vector<std::size_t> pending;
  for (std::size_t b = 0; b < bucket_count(); ++b) {
    if (checkpoint && checkpoint->done().count(b)) {
      Tally saved;
      saved.counts = checkpoint->done().at(b);
      job.fold ? job.fold(ledger.total, saved) : add(ledger.total, saved);
    } else {
      pending.push_back(b);
    }
  }
  return pending;
}

// Runs this rank's share of `pending` (scheduler.hpp) and returns what it did. On rank 0, each
// bucket done, by whichever rank, is recorded in the checkpoint and added to the totals.
RankWork run_buckets(const Job& job, const JobOptions& options,
                     const std::vector<std::size_t>& pending, Ledger& ledger) {
  RankWork mine;
  // This rank's seconds: from its first bucket's start to its last one's end (it runs -j at
  // once, so their durations overlap).
  std::optional<std::chrono::steady_clock::time_point> first_start;
  std::mutex mine_mu;  // the worker threads of this rank
  std::mutex mu;       // rank 0: `done` may run on any of its threads
  distribute(
      pending, options.threads,
      [&](std::size_t bucket) {
        {
          std::lock_guard<std::mutex> lock(mine_mu);
          if (!first_start) first_start = std::chrono::steady_clock::now();
        }
        Tally t = job.run(bucket);
        g_files_before += t.files;
        std::lock_guard<std::mutex> lock(mine_mu);
        mine.buckets += 1;
        mine.files += static_cast<double>(t.files);
        mine.bytes += static_cast<double>(t.bytes);
        mine.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - *first_start).count();
        return t;
      },
      [&](std::size_t bucket, Tally&& t) {
        std::lock_guard<std::mutex> lock(mu);
        // Recorded before it counts: a bucket in the totals is a bucket in the checkpoint. A
        // checkpoint that cannot be written ends the job: going on would lose the resume.
        try {
          if (ledger.checkpoint) ledger.checkpoint->record(bucket, t.counts);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "cas: %s: %s\n", job.command.c_str(), e.what());
          MPI_Abort(MPI_COMM_WORLD, 1);
        }
        job.fold ? job.fold(ledger.total, t) : add(ledger.total, t);
      });
  return mine;
}

// Rank 0, every bucket done: ends the command (its summary, its exit code) and prints the
// per-rank figures when asked.
int finish_job(const Job& job, const JobOptions& options, const Ledger& ledger,
               const std::vector<RankWork>& per_rank, double size_pass_seconds) {
  const int code = job.finish(ledger.total);
  if (options.stats_per_rank) {
    print_per_rank(per_rank);
    if (job.balance_by_bytes) std::printf("size pass: seconds=%.3f\n", size_pass_seconds);
  }
  std::fflush(stdout);
  std::cout.flush();
  return code;
}

}  // namespace

void prepare(OperationOptions& options, bool dry_run, std::size_t bucket, Tally& tally) {
  options.threads = 1;
  options.dry_run = dry_run;
  limit_to(options, bucket);
  const auto limit = kill_after();
  // The final report (always made) carries the run's totals; the tests' kill needs each file.
  options.progress_interval = limit ? std::chrono::milliseconds(0) : std::chrono::hours(1);
  options.progress = [&tally, limit](const Progress& p) {
    tally.files = p.done;
    tally.bytes = p.bytes;
    if (limit && g_files_before + p.done >= *limit) ::raise(SIGKILL);
  };
}

int run_job(const Job& job, const JobOptions& options) {
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  // Rank 0 alone reads and writes the checkpoint; what it loads starts the totals, and a
  // resumed job keeps the split it began with.
  Ledger ledger;
  std::vector<std::size_t> pending;
  int setup[2] = {0, static_cast<int>(options.split ? options.split : split_for(ranks))};
  int& setup_failed = setup[0];
  if (g_rank == 0) pending = open_ledger(job, options, ledger, setup[1], setup_failed);
  quiet_bcast(setup, 2, MPI_INT);
  if (setup_failed) return 1;
  set_split(static_cast<unsigned>(setup[1]));

  // verify's size pass: what balancing by bytes costs (--stats-per-rank shows it).
  const auto size_pass_start = std::chrono::steady_clock::now();
  if (job.balance_by_bytes) pending = largest_first(pending, options);
  const double size_pass_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - size_pass_start).count();
  const RankWork mine = run_buckets(job, options, pending, ledger);
  quiet_barrier();
  const std::vector<RankWork> per_rank = gather(mine, ranks);
  int code = 0;
  if (g_rank == 0) code = finish_job(job, options, ledger, per_rank, size_pass_seconds);
  quiet_bcast(&code, 1, MPI_INT);
  return code;
}

}  // namespace cas::mpi
