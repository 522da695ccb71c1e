// trim as a cas-mpi job: the split trim of cas/trim_split.hpp with each of its walks handed out
// bucket by bucket (distribute), and the decisions between the walks taken once, on rank 0,
// from the sums of every bucket's results: the cutoff (trim_plan) and, when the cutoff cell
// must be split, each bucket's share of it (trim_shares). So the job removes what one
// `cas trim` removes: every unpinned file last used before the cutoff, none after.
#include <mpi.h>

#include <cstdint>
#include <ctime>
#include <mutex>
#include <vector>

#include "buckets.hpp"
#include "jobs.hpp"
#include "scheduler.hpp"
#include "store/trim_split.hpp"

namespace cas::mpi {
namespace {

const std::vector<std::string> kTrimNames = {
    "scanned",       "removed",      "bytes_removed",       "pinned",
    "recently_used", "unrecognized", "directories_removed", "failed"};

// The fixed counts of a step's Tally, before the histogram's cells.
constexpr std::size_t kStepFields = 12;

// A trim step's result as a Tally: the counts, the scan's free-space deficit, then the
// histogram (width, cell count, then start, files, bytes per cell; signed values as two's
// complement).
Tally tally_of(const TrimResult& r, const UseCells& cells, std::uint64_t deficit = 0) {
  Tally t;
  t.counts = {r.scanned_files,
              r.pinned,
              r.removed_files,
              r.removed_bytes,
              r.recently_used,
              r.directories_removed,
              r.failed,
              r.scanned_bytes,
              r.unrecognized,
              deficit,
              static_cast<std::uint64_t>(cells.width),
              cells.cells.size()};
  for (const auto& [start, c] : cells.cells) {
    t.counts.insert(t.counts.end(), {static_cast<std::uint64_t>(start), c.files, c.bytes});
  }
  t.errors = r.errors;
  return t;
}

TrimResult result_of(const Tally& t, UseCells& cells, std::uint64_t* deficit = nullptr) {
  TrimResult r;
  const auto& c = t.counts;
  if (c.size() < kStepFields) return r;
  r.scanned_files = c[0];
  r.pinned = c[1];
  r.removed_files = c[2];
  r.removed_bytes = c[3];
  r.recently_used = c[4];
  r.directories_removed = c[5];
  r.failed = c[6];
  r.scanned_bytes = c[7];
  r.unrecognized = c[8];
  if (deficit) *deficit = c[9];
  cells.width = static_cast<std::int64_t>(c[10]);
  for (std::size_t k = 0, i = kStepFields; k < c[11] && i + 2 < c.size(); ++k, i += 3) {
    cells.cells[static_cast<std::int64_t>(c[i])] = {c[i + 1], c[i + 2]};
  }
  r.errors = t.errors;
  return r;
}

// The buckets in order (trim has no checkpoint: every step covers every bucket).
std::vector<std::size_t> all_buckets() {
  std::vector<std::size_t> order(bucket_count());
  for (std::size_t b = 0; b < order.size(); ++b) order[b] = b;
  return order;
}

// Sends rank 0's `values` to every rank.
void broadcast(std::vector<std::int64_t>& values) {
  auto n = static_cast<std::int64_t>(values.size());
  quiet_bcast(&n, 1, MPI_INT64_T);
  values.resize(static_cast<std::size_t>(n));
  quiet_bcast(values.data(), static_cast<int>(n), MPI_INT64_T);
}

std::vector<std::int64_t> plan_values(const TrimPlan& p) {
  return {p.start_sec,
          p.start_nsec,
          p.remove_before,
          p.cell,
          p.width,
          static_cast<std::int64_t>(p.need_files),
          static_cast<std::int64_t>(p.need_bytes)};
}

TrimPlan plan_of(const std::vector<std::int64_t>& v) {
  TrimPlan p;
  p.start_sec = v.at(0);
  p.start_nsec = v.at(1);
  p.remove_before = v.at(2);
  p.cell = v.at(3);
  p.width = v.at(4);
  p.need_files = static_cast<std::uint64_t>(v.at(5));
  p.need_bytes = static_cast<std::uint64_t>(v.at(6));
  return p;
}

// The steps of the split trim, each distributed; `whole` gathers the totals on rank 0.
class TrimDriver {
 public:
  TrimDriver(cli::Context& context, const TrimOptions& options, unsigned threads, bool dry_run)
      : context_(context), options_(options), threads_(threads), dry_run_(dry_run) {}

  // Steps 1 and 2: every bucket scanned, the plan made on rank 0 and sent to every rank.
  TrimPlan scan_and_plan(const timespec& start) {
    TrimScan whole;
    distribute(
        all_buckets(), threads_,
        [&](std::size_t b) {
          Tally progress;
          const TrimScan s = trim_scan(context_.store(), bucket_options(b, progress));
          return tally_of(s.counts, s.uses, s.free_space_deficit);
        },
        [&](std::size_t, Tally&& t) {
          TrimScan part;
          part.counts = result_of(t, part.uses, &part.free_space_deficit);
          std::lock_guard<std::mutex> lock(mu_);
          add_scan(whole, part);
        });
    total_ = whole.counts;
    std::vector<std::int64_t> plan = plan_values(trim_plan(options_, whole, start));
    broadcast(plan);
    return plan_of(plan);
  }

  // Step 3: every bucket's removal walk; rank 0 keeps each bucket's pass for the shares.
  void remove(const TrimPlan& plan) {
    passes_.assign(bucket_count(), {});
    distribute(
        all_buckets(), threads_,
        [&](std::size_t b) {
          Tally progress;
          const TrimPass p = trim_remove(context_.store(), bucket_options(b, progress), plan);
          return tally_of(p.counts, p.within);
        },
        [&](std::size_t b, Tally&& t) {
          std::lock_guard<std::mutex> lock(mu_);
          passes_[b].counts = result_of(t, passes_[b].within);
        });
  }

  // Step 4, when rank 0 finds the cutoff cell must be split: each bucket settles its share.
  void settle(const TrimPlan& plan) {
    std::vector<std::int64_t> shares;  // cell start, width, then files, bytes per bucket
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
      TrimPass whole;
      for (const TrimPass& p : passes_) add_pass(whole, p);
      for (const TrimShare& s : trim_shares(plan, whole, passes_)) {
        if (shares.empty()) shares = {s.cell_start, s.cell_width};
        shares.insert(shares.end(),
                      {static_cast<std::int64_t>(s.files), static_cast<std::int64_t>(s.bytes)});
      }
    }
    broadcast(shares);
    if (shares.empty()) return;
    distribute(
        all_buckets(), threads_,
        [&](std::size_t b) {
          const TrimShare share{shares[0], shares[1],
                                static_cast<std::uint64_t>(shares.at(2 + 2 * b)),
                                static_cast<std::uint64_t>(shares.at(3 + 2 * b))};
          Tally progress;
          TrimPass p;
          trim_settle(context_.store(), bucket_options(b, progress), plan, share, p);
          return tally_of(p.counts, p.within);
        },
        [&](std::size_t b, Tally&& t) {
          std::lock_guard<std::mutex> lock(mu_);
          UseCells ignored;
          const TrimResult r = result_of(t, ignored);
          TrimPass more;
          more.counts = r;
          add_pass(passes_[b], more);
        });
  }

  // Rank 0: the scan's counts and every removal.
  Tally total() const {
    TrimPass sum;
    sum.counts = total_;
    for (const TrimPass& p : passes_) add_pass(sum, p);
    const TrimResult& r = sum.counts;
    Tally t;
    t.counts = {r.scanned_files, r.removed_files, r.removed_bytes,       r.pinned,
                r.recently_used, r.unrecognized,  r.directories_removed, r.failed};
    t.errors = r.errors;
    return t;
  }

 private:
  TrimOptions bucket_options(std::size_t bucket, Tally& progress) const {
    TrimOptions o = options_;
    prepare(o, dry_run_, bucket, progress);
    o.progress = nullptr;  // the tests' kill hook is not wanted here; nor a bar
    return o;
  }

  cli::Context& context_;
  const TrimOptions options_;
  const unsigned threads_;
  const bool dry_run_;
  std::mutex mu_;
  TrimResult total_;
  std::vector<TrimPass> passes_;
};

}  // namespace

int run_trim_job(cli::Context& context, const TrimOptions& options, const cli::BulkArgs& args) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  TrimDriver driver(context, options, args.threads, args.dry_run);
  // The start instant, taken once: the age bound's "now", and what counts as used meanwhile.
  const TrimPlan plan = driver.scan_and_plan(rank == 0 ? trim_start() : timespec{});
  if (!plan.nothing_to_do()) {
    driver.remove(plan);
    driver.settle(plan);
  }
  int code = 0;
  if (rank == 0) {
    code = finish_counts(context, "trim", kTrimNames, driver.total(), args.dry_run);
    std::fflush(stdout);
  }
  quiet_bcast(&code, 1, MPI_INT);
  return code;
}

}  // namespace cas::mpi
