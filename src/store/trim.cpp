// trim: least-recently-used eviction to size, count and age bounds, in bounded memory.
//
// Three walks on the store engine, none of which keeps a per-file list:
//   1. scan: files and bytes by last use (mtime) into a UseHistogram; pinned files set aside;
//   2. remove every file older than the cutoff (the start of the cell in which the oldest
//      files add up to what must go) or the age bound, judging each by the stat the walk takes
//      just before the unlink; count the cutoff cell again, by nanosecond (again a bounded
//      histogram: 65536 cells split one second into 16 us cells);
//   3. only when that cell must be split: remove its files older than the cell where the
//      rest adds up, and from that cell as many as are still needed.
// The same walks, one call each, are the split trim of cas/trim_split.hpp: trim() is that API
// run on one part, the whole store.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>
#include <mutex>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "store/cache_limits.hpp"
#include "store/scope.hpp"
#include "store/store_engine.hpp"
#include "store/trim_split.hpp"
#include "store/use_histogram.hpp"

namespace cas {
namespace {

using detail::count;
using detail::StoreEngine;
using detail::StoreFile;
using detail::UseHistogram;

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

// Every walk asks this of every file, and most stores have no pins: no string built for them.
bool is_pinned(const std::unordered_set<std::string>& pins, std::string_view hash) {
  return !pins.empty() && pins.count(std::string(hash)) != 0;
}

void check_options(const Store& store, const TrimOptions& options, bool whole_store) {
  if (!options.max_bytes && !options.max_files && !options.max_age && !options.min_free) {
    throw InvalidArgumentError("trim: give at least one bound (size, files, age or free space)");
  }
  detail::check_limits(options, "trim");
  if (whole_store && detail::is_scoped(options)) {
    // A least-recently-used cutoff is store-wide: trimming a part by its own oldest files
    // would remove files that a whole-store trim keeps.
    throw InvalidArgumentError("trim: cannot be limited to a scope (part of the store)");
  }
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("remove", store.root().string());
}

// What must go beyond the age bound: nothing when the store is within `bound`, else down to
// low_water times it.
std::uint64_t excess(std::uint64_t have, const std::optional<std::uint64_t>& bound, double low) {
  if (!bound || have <= *bound) return 0;
  // Rounded down, but a bound of at least one keeps at least one: --max-files 1 is not "empty".
  auto target = static_cast<std::uint64_t>(static_cast<double>(*bound) * low);
  target = std::max<std::uint64_t>(target, std::min<std::uint64_t>(*bound, 1));
  return have - target;
}

// What the removal walks go by: TrimPlan (cas/trim_split.hpp), from the summed scans.
TrimPlan plan(const TrimOptions& options, const TrimScan& scan, const UseHistogram& uses,
              timespec start) {
  const TrimResult& scanned = scan.counts;
  TrimPlan p;
  p.start_sec = start.tv_sec;
  p.start_nsec = start.tv_nsec;
  p.remove_before = kNever;
  p.cell = kNever;
  if (options.max_age) p.remove_before = start.tv_sec - options.max_age->count();
  p.need_files = excess(scanned.scanned_files, options.max_files, options.low_water);
  p.need_bytes = excess(scanned.scanned_bytes, options.max_bytes, options.low_water);
  p.need_bytes = std::max(p.need_bytes, scan.free_space_deficit);
  if (p.need_files == 0 && p.need_bytes == 0) return p;
  auto cut = uses.cut(p.need_files, p.need_bytes);
  if (!cut) {  // pins hold too much to reach the bounds: everything else goes
    p.remove_before = std::numeric_limits<std::int64_t>::max();
    return p;
  }
  p.remove_before = std::max(p.remove_before, cut->start);
  p.cell = cut->start;
  p.width = cut->width;
  return p;
}

// One removal walk. `goes` decides for each unpinned content file by its fresh stat; `kept` sees
// the others.
class Remover {
 public:
  Remover(Store& store, const TrimOptions& options, const std::unordered_set<std::string>& pins,
          TrimResult& result)
      : store_(store), options_(options), pins_(pins), result_(result) {}

  template <typename Goes, typename Kept>
  void run(Goes goes, Kept kept) {
    StoreEngine engine(store_, options_);
    engine.stat_entries = true;
    engine.on_file = [&](const StoreFile& f) {
      if (!f.layout || !f.entry.st || is_pinned(pins_, f.hash)) return;
      const struct stat& st = *f.entry.st;
      if (!goes(st)) return kept(f, st);
      if (options_.dry_run || detail::unlink_file(engine, f.entry)) {
        count(result_.removed_files);
        count(result_.removed_bytes, static_cast<std::uint64_t>(st.st_size));
      }
    };
    if (!options_.dry_run) {
      engine.on_directory_exit = [&](const WalkEntry& e) {
        if (detail::remove_directory(e) == 0) count(result_.directories_removed);
      };
    }
    engine.run(result_);
  }

 private:
  Store& store_;
  const TrimOptions& options_;
  const std::unordered_set<std::string>& pins_;
  TrimResult& result_;
};

// Whether `f` (kept) was used while the trim ran: its mtime moved past the trim's start, and it
// was there before the trim began rather than inserted since (by its birth time; without one,
// a new mtime is taken for a use).
bool used_meanwhile(const StoreFile& f, const timespec& start) {
  if (!detail::later_than(f.entry.st->st_mtim, start)) return false;
  struct statx stx;
  if (::statx(f.entry.parent_fd, std::string(f.entry.name).c_str(), AT_SYMLINK_NOFOLLOW,
              STATX_BTIME, &stx) != 0 ||
      !(stx.stx_mask & STATX_BTIME)) {
    return true;
  }
  return !detail::later_than(timespec{stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec}, start);
}

// The removal walks' options: progress goes on from the scan's count (one bar for the whole
// trim), without counting the store again.
TrimOptions continued(const TrimOptions& options, std::uint64_t scanned,
                      std::chrono::steady_clock::time_point began) {
  TrimOptions o = options;
  o.count_first = false;
  if (options.progress) {
    o.progress = [report = options.progress, scanned, began](const Progress& p) {
      Progress q = p;
      q.done += scanned;
      q.total.reset();
      q.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      q.rate = q.elapsed_seconds > 0 ? static_cast<double>(q.done) / q.elapsed_seconds : 0;
      report(q);
    };
  }
  return o;
}

// A file's place in the cutoff cell: nanoseconds since the cell began.
bool in_cell(const TrimPlan& p, const struct stat& st) {
  return st.st_mtime >= p.cell && st.st_mtime < p.cell + p.width;
}
std::int64_t offset_in(const TrimPlan& p, const struct stat& st) {
  return (st.st_mtim.tv_sec - p.cell) * 1'000'000'000LL + st.st_mtim.tv_nsec;
}

UseCells cells_of(const UseHistogram& h) {
  UseCells out;
  out.width = h.width();
  for (const auto& [start, c] : h.cells()) out.cells[start] = {c.files, c.bytes};
  return out;
}

// (UseHistogram holds a mutex: filled in place rather than returned.)
void fill(UseHistogram& h, const UseCells& cells) {
  for (const auto& [start, c] : cells.cells) h.add_cell(start, cells.width, c.files, c.bytes);
}

// Adds every count of `part` to `into`, its failures too.
void add_counts(TrimResult& into, const TrimResult& part) {
  for (auto [to, from] : {std::pair{&into.scanned_files, part.scanned_files},
                          {&into.scanned_bytes, part.scanned_bytes},
                          {&into.removed_files, part.removed_files},
                          {&into.removed_bytes, part.removed_bytes},
                          {&into.pinned, part.pinned},
                          {&into.recently_used, part.recently_used},
                          {&into.unrecognized, part.unrecognized},
                          {&into.directories_removed, part.directories_removed}}) {
    *to += from;
  }
  into.merge(part);
}

using Pins = std::unordered_set<std::string>;

// The first walk: content by last use; pinned files only counted.
TrimScan scan_walk(const Store& store, const TrimOptions& options, const Pins& pins) {
  TrimScan out;
  UseHistogram uses;
  StoreEngine scan(store, options);
  scan.stat_entries = true;
  scan.on_file = [&](const StoreFile& f) {
    if (!f.layout) return count(out.counts.unrecognized);  // not the cache's to evict
    if (!f.entry.st) return;
    const auto size = static_cast<std::uint64_t>(f.entry.st->st_size);
    count(out.counts.scanned_files);
    count(out.counts.scanned_bytes, size);
    if (is_pinned(pins, f.hash)) return count(out.counts.pinned);
    uses.add(f.entry.st->st_mtime, size);
  };
  scan.run(out.counts);
  out.uses = cells_of(uses);
  if (options.min_free) {
    // Read after the scan: the nearer to the removals, the truer.
    if (auto space = detail::filesystem_space(store.root().string())) {
      out.free_space_deficit =
          detail::free_space_deficit(*options.min_free, options.low_water, *space);
    }
  }
  return out;
}

// The second walk: removes what is older than the cutoff; counts the cutoff cell's files by
// nanosecond (a bounded histogram, as the scan's).
TrimPass remove_walk(Store& store, const TrimOptions& options, const Pins& pins,
                     const TrimPlan& p) {
  TrimPass out;
  if (p.nothing_to_do()) return out;
  const timespec start{static_cast<time_t>(p.start_sec), static_cast<long>(p.start_nsec)};
  Remover remover(store, options, pins, out.counts);
  UseHistogram within;
  remover.run([&](const struct stat& st) { return st.st_mtime < p.remove_before; },
              [&](const StoreFile& f, const struct stat& st) {
                if (used_meanwhile(f, start)) count(out.counts.recently_used);
                if (in_cell(p, st)) within.add(offset_in(p, st), st.st_size);
              });
  out.within = cells_of(within);
  return out;
}

// The third walk: removes the cutoff cell's files older than the share's cell, and from that
// cell (files last used within the same few microseconds, or the same clock tick) in walk order
// until the share is removed.
void settle_walk(Store& store, const TrimOptions& options, const Pins& pins, const TrimPlan& p,
                 const TrimShare& share, TrimPass& pass) {
  std::uint64_t files_left = share.files, bytes_left = share.bytes;
  std::mutex mu;
  Remover remover(store, options, pins, pass.counts);
  remover.run(
      [&](const struct stat& st) {
        if (!in_cell(p, st)) return false;
        const std::int64_t offset = offset_in(p, st);
        if (offset < share.cell_start) return true;
        if (offset >= share.cell_start + share.cell_width) return false;
        std::lock_guard<std::mutex> lock(mu);
        if (files_left == 0 && bytes_left == 0) return false;
        files_left -= std::min<std::uint64_t>(files_left, 1);
        bytes_left -= std::min<std::uint64_t>(bytes_left, static_cast<std::uint64_t>(st.st_size));
        return true;
      },
      [](const StoreFile&, const struct stat&) {});
}

}  // namespace

bool TrimPlan::nothing_to_do() const { return remove_before == kNever; }

void add_cells(UseCells& into, const UseCells& part) {
  UseHistogram h;
  fill(h, into);
  fill(h, part);
  into = cells_of(h);
}

TrimScan trim_scan(const Store& store, const TrimOptions& options) {
  check_options(store, options, false);
  return scan_walk(store, options, pinned_hashes(store));
}

void add_scan(TrimScan& into, const TrimScan& part) {
  add_counts(into.counts, part.counts);
  add_cells(into.uses, part.uses);
  // Every part saw the same filesystem, a moment apart: the larger need.
  into.free_space_deficit = std::max(into.free_space_deficit, part.free_space_deficit);
}

timespec trim_start() { return detail::start_instant(); }

TrimPlan trim_plan(const TrimOptions& options, const TrimScan& whole, timespec start) {
  UseHistogram uses;
  fill(uses, whole.uses);
  return plan(options, whole, uses, start);
}

TrimPass trim_remove(Store& store, const TrimOptions& options, const TrimPlan& plan) {
  check_options(store, options, false);
  return remove_walk(store, options, pinned_hashes(store), plan);
}

void add_pass(TrimPass& into, const TrimPass& part) {
  add_counts(into.counts, part.counts);
  add_cells(into.within, part.within);
}

std::vector<TrimShare> trim_shares(const TrimPlan& p, const TrimPass& whole,
                                   const std::vector<TrimPass>& parts) {
  // What the age bound and the older cells removed counts toward the bounds too.
  const auto& removed = whole.counts;
  const std::uint64_t files_needed = p.need_files - std::min(p.need_files, removed.removed_files);
  const std::uint64_t bytes_needed = p.need_bytes - std::min(p.need_bytes, removed.removed_bytes);
  if (p.cell == kNever || (files_needed == 0 && bytes_needed == 0)) return {};
  UseHistogram within;
  fill(within, whole.within);
  auto cut = within.cut(files_needed, bytes_needed);
  if (!cut) return {};  // the cell's files went meanwhile
  std::uint64_t files_left = files_needed - std::min(files_needed, cut->before.files);
  std::uint64_t bytes_left = bytes_needed - std::min(bytes_needed, cut->before.bytes);
  std::vector<TrimShare> shares;
  for (const TrimPass& part : parts) {
    // A part's cells are as fine as the sum's or finer: those starting in the cut cell are in it.
    UseCells::Cell in_cut;
    for (auto it = part.within.cells.lower_bound(cut->start);
         it != part.within.cells.end() && it->first < cut->start + cut->width; ++it) {
      in_cut.files += it->second.files;
      in_cut.bytes += it->second.bytes;
    }
    TrimShare s{cut->start, cut->width, std::min(files_left, in_cut.files),
                std::min(bytes_left, in_cut.bytes)};
    files_left -= s.files;
    bytes_left -= s.bytes;
    shares.push_back(s);
  }
  return shares;
}

void trim_settle(Store& store, const TrimOptions& options, const TrimPlan& plan,
                 const TrimShare& share, TrimPass& pass) {
  check_options(store, options, false);
  settle_walk(store, options, pinned_hashes(store), plan, share, pass);
}

TrimResult trim(Store& store, const TrimOptions& options) {
  check_options(store, options, true);
  const auto pins = pinned_hashes(store);
  const timespec start = trim_start();
  const auto began = std::chrono::steady_clock::now();
  TrimScan scan = scan_walk(store, options, pins);
  TrimResult result = scan.counts;
  const TrimPlan p = trim_plan(options, scan, start);
  if (p.nothing_to_do()) return result;
  const TrimOptions later = continued(options, result.scanned_files, began);
  TrimPass pass = remove_walk(store, later, pins, p);
  const std::vector<TrimShare> shares = trim_shares(p, pass, {pass});
  if (!shares.empty()) settle_walk(store, later, pins, p, shares.front(), pass);
  add_counts(result, pass.counts);
  return result;
}

}  // namespace cas
