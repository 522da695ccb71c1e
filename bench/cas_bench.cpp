// cas-bench: the layout report. For each store size and layout it measures insert (with and
// without fsync), remove, and random open (hit and miss), each of insert, remove and open
// beside its syscall floor (floor_ops.hpp), then prints a table per operation and writes a
// CSV and a PNG chart (gnuplot) into --out.
//
// Layouts are measured side by side: each size runs `--rounds` rounds, alternating the order of
// the layouts between rounds, and reports the median round; within a round each operation and
// its floor run in the order cas, floor, floor, cas (with_floor). When the filesystem cannot hold
// every layout's store of a size at once, the layouts of that size are built and measured in turn
// instead, each store removed before the next.
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/filesystem.hpp>

#include "bench_config.hpp"
#include "bench_report.hpp"
#include "cas/errors.hpp"
#include "floor_ops.hpp"
#include "layout_bench.hpp"
#include "scratch_fs.hpp"

namespace fs = boost::filesystem;
namespace bench = cas::bench;
using bench::Cell;
using bench::Config;
using bench::human;
using bench::Layouts;
using bench::Results;

namespace {

using Measurements = std::map<std::string, Cell>;
// One measurement; `rep` (0 or 1) tells the two runs of a contender in a round apart.
using Timed = std::function<bench::OpTiming(unsigned rep)>;

double elapsed(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The mean of two runs of one contender.
Cell mean_of(const bench::OpTiming& a, const bench::OpTiming& b) {
  double reads =
      a.reads_per_op >= 0 && b.reads_per_op >= 0 ? (a.reads_per_op + b.reads_per_op) / 2 : -1;
  return {(a.us_per_op + b.us_per_op) / 2, a.ops + b.ops, reads};
}

// The operations of each of with_floor's four runs.
std::uint64_t half_ops(const Config& cfg) { return std::max<std::uint64_t>(1, (cfg.ops + 1) / 2); }

// Times `op` and its floor in the order op, floor, floor, op and records each one's mean into
// out[name] and out[name_floor]. Each run takes half the operations (half_ops), so a figure is
// still over --ops operations and a round costs what it did with one run each. Of two measurements
// in a row the second can pay for what the first left behind (metadata the filesystem logs or
// writes back), so every round balances the order: alternating it from round to round let the
// median of 3 rounds take one order twice.
void with_floor(Measurements& out, const std::string& name, const Timed& op, const Timed& floor) {
  auto op1 = op(0);
  auto floor1 = floor(0);
  auto floor2 = floor(1);
  auto op2 = op(1);
  out[name] = mean_of(op1, op2);
  out[name + "_floor"] = mean_of(floor1, floor2);
}

// The random opens (hit and miss) of one (layout, size, round), each beside its floor; `drop`
// drops the page cache before each and names them X_cold (unless --cold made every
// measurement cold).
void measure_opens(const Config& cfg, cas::Store& store, std::uint64_t size, unsigned round,
                   bool drop, Measurements& out) {
  const auto n = half_ops(cfg);
  const auto fsz = cfg.file_size;
  for (bool hit : {true, false}) {
    const std::string name =
        std::string(hit ? "open_hit" : "open_miss") + (drop && !cfg.cold ? "_cold" : "");
    // Different files for every run: a file read before is cheaper (its atime is fresh).
    const std::uint32_t seed = (hit ? 1000 : 2000) + 10 * round;
    with_floor(
        out, name,
        [&](unsigned rep) {
          return bench::time_random_open(store, size, n, fsz, hit, drop, seed + rep);
        },
        [&](unsigned rep) {
          return bench::floor_random_open(store, size, n, fsz, hit, drop, seed + 50000 + rep);
        });
  }
}

// Measures every operation for one (layout, size) once; the cold pass only the opens, after
// dropping the page cache (it runs after every warm round, so no warm figure follows a drop).
Measurements measure(const Config& cfg, const std::shared_ptr<const cas::Layout>& layout,
                     std::uint64_t size, unsigned round, bool cold_pass) {
  Measurements out;
  const std::string dir = bench::store_dir(cfg.bench_dir, *layout, size);
  cas::Store fast(dir, bench::bench_options(layout, cas::Durability::none));
  if (cold_pass) {
    measure_opens(cfg, fast, size, round, true, out);
    return out;
  }
  auto cold = [&] {
    if (cfg.cold) bench::drop_caches();
  };
  auto timed = [&](const std::string& name, cas::Durability d, std::uint64_t ops) {
    cas::Store store(dir, bench::bench_options(layout, d));
    cold();
    auto t = bench::time_insert(store, size, ops, cfg.file_size);
    out[name] = {t.us_per_op, t.ops};
  };
  const auto n = cfg.ops;
  const auto half = half_ops(cfg);
  const auto fsz = cfg.file_size;
  cold();
  with_floor(
      out, "insert", [&](unsigned) { return bench::time_insert(fast, size, half, fsz); },
      [&](unsigned) { return bench::floor_insert(fast, size, half, fsz); });
  timed("insert_fsync", cas::Durability::file, cfg.fsync_ops);
  timed("insert_full", cas::Durability::full, cfg.fsync_ops);
  timed("insert_batch", cas::Durability::batch, n);
  cold();
  with_floor(
      out, "remove", [&](unsigned) { return bench::time_remove(fast, size, half, fsz); },
      [&](unsigned) { return bench::floor_remove(fast, size, half, fsz); });
  measure_opens(cfg, fast, size, round, cfg.cold, out);
  return out;
}

// Whether the stores of every layout at `size` fit on the filesystem together (keeping 5% of
// it free for everyone else), counting those already built.
bool fit_together(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  bench::Footprint need;
  for (const auto& layout : layouts) {
    if (fs::exists(bench::store_dir(cfg.bench_dir, *layout, size))) continue;
    auto f = bench::footprint(*layout, size, cfg.file_size, cfg.make_fs);
    need.inodes += f.inodes;
    need.bytes += f.bytes;
  }
  auto have = bench::available(cfg.bench_dir);
  if (!cfg.make_fs.empty() && cfg.make_fs != "tmpfs") {
    // A sparse image promises more than its disk may hold once others write there too: the
    // stores must fit on the image's own filesystem as well (a full one fails the loop device).
    have.bytes = std::min(have.bytes, bench::available(cfg.fs_image_dir).bytes);
  }
  return need.inodes <= have.inodes * 95 / 100 && need.bytes <= have.bytes * 95 / 100;
}

// Builds (or finds cached) the store of `size` files for each layout that fits on the disk;
// returns those layouts and says on stderr which were skipped.
Layouts build_stores(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  Layouts fitting;
  for (const auto& layout : layouts) {
    if (!fit_together(cfg, {layout}, size)) {
      auto need = bench::footprint(*layout, size, cfg.file_size, cfg.make_fs);
      auto have = bench::available(cfg.bench_dir);
      std::cerr << "cas-bench: skipping " << layout->name() << " at " << human(size)
                << " files: needs ~" << need.inodes << " inodes and " << (need.bytes >> 20)
                << " MiB, the filesystem has " << have.inodes << " inodes and "
                << (have.bytes >> 20) << " MiB free\n";
      continue;
    }
    bench::status("cas-bench: building " + std::string(layout->name()) + " store of " +
                  human(size) + " files");
    bench::ensure_store(cfg.bench_dir, *layout, size, cfg.file_size, cfg.threads);
    fitting.push_back(layout);
  }
  return fitting;
}

// Measures every layout of `fitting` at `size` for cfg.rounds rounds, alternating their order,
// and records the median round of each operation in `results`.
void measure_size(const Config& cfg, const Layouts& fitting, std::uint64_t size,
                  std::chrono::steady_clock::time_point start, Results& results) {
  std::map<std::string, std::map<std::string, std::vector<Cell>>> samples;
  const bool cold_pass = !cfg.cold && std::count(cfg.cold_at.begin(), cfg.cold_at.end(), size) > 0;
  for (bool cold : {false, true}) {
    if (cold && !cold_pass) break;
    for (unsigned round = 0; round < cfg.rounds; ++round) {
      auto order = fitting;
      if (round % 2) std::reverse(order.begin(), order.end());
      for (const auto& layout : order) {
        std::ostringstream line;
        line << "cas-bench: " << human(size) << " files, " << layout->name() << ", "
             << (cold ? "cold " : "") << "round " << round + 1 << "/" << cfg.rounds << " ("
             << std::fixed << std::setprecision(0) << elapsed(start) << " s elapsed)";
        bench::status(line.str());
        for (const auto& [op, cell] : measure(cfg, layout, size, round, cold)) {
          samples[op][std::string(layout->name())].push_back(cell);
        }
      }
    }
  }
  for (auto& [op, by_layout] : samples) {
    for (auto& [layout, cells] : by_layout) {
      std::sort(cells.begin(), cells.end(), [](auto& a, auto& b) { return a.us < b.us; });
      Cell median = cells[cells.size() / 2];
      median.ops = 0;
      for (const auto& c : cells) median.ops += c.ops;
      results[op][size][layout] = median;
    }
  }
}

// Builds and measures the stores of one size in cfg.bench_dir: all layouts side by side when
// they fit together, else one after the other, each removed before the next is built. Stores
// of a temporary bench dir are removed after.
void run_size(const Config& cfg, const Layouts& layouts, std::uint64_t size,
              std::chrono::steady_clock::time_point start, Results& results) {
  std::vector<Layouts> groups;
  if (fit_together(cfg, layouts, size)) {
    groups.push_back(layouts);
  } else {
    std::cerr << "cas-bench: the stores of " << human(size)
              << " files do not fit together; measuring the layouts in turn, not side by side\n";
    for (const auto& l : layouts) groups.push_back({l});
  }
  for (const auto& group : groups) {
    Layouts fitting = build_stores(cfg, group, size);
    measure_size(cfg, fitting, size, start, results);
    if (!cfg.temporary_stores) continue;
    for (const auto& layout : fitting) {
      bench::remove_store_dir(bench::store_dir(cfg.bench_dir, *layout, size));
    }
  }
}

// Whether a fresh scratch filesystem made for every layout's store of `size` holds them all.
bool fit_together_on_fresh_fs(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  bench::ScratchFs scratch(bench::scratch_spec(cfg, layouts, size));
  Config probe = cfg;
  probe.bench_dir = scratch.mount_point();
  return fit_together(probe, layouts, size);
}

// Whether the page cache can keep every layout's store of `size` (about 1 KiB of inode and
// dentry per inode, and a page per file where its data is not inline in the inode: XFS's
// 1M-file stores side by side read 3.4 blocks per "warm" open) within half the RAM. Beyond
// that, measuring the layouts side by side would time each one in a cache its neighbour in the
// round has just evicted.
bool cache_holds(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  std::uint64_t bytes = 0;
  const bool data_inline = cfg.make_fs.starts_with("ext4") && cfg.file_size <= 128;
  for (const auto& l : layouts) {
    bytes += bench::footprint(*l, size, cfg.file_size).inodes * 1024;
    if (!data_inline) bytes += size * 4096;
  }
  const auto ram = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                   static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
  return bytes <= ram / 2;
}

// With --make-fs: each size (each layout, when a size's stores do not fit together or together
// outgrow the page cache) gets a filesystem of its own, made for it and dropped after it.
// Unmounting a store is instant where purging millions of files is not, and no measurement
// runs on a filesystem aged by others.
void run_size_on_scratch(const Config& cfg, const Layouts& layouts, std::uint64_t size,
                         std::chrono::steady_clock::time_point start, Results& results) {
  auto measure_on_fresh_fs = [&](const Layouts& group) {
    bench::ScratchFs scratch(bench::scratch_spec(cfg, group, size));
    bench::status("cas-bench: made a " + cfg.make_fs + " filesystem for " + human(size) +
                  " files at " + scratch.mount_point());
    Config on_scratch = cfg;
    on_scratch.bench_dir = scratch.mount_point();
    on_scratch.temporary_stores = false;  // the unmount drops them
    run_size(on_scratch, group, size, start, results);
  };
  if (!fit_together_on_fresh_fs(cfg, layouts, size)) {
    std::cerr << "cas-bench: the stores of " << human(size)
              << " files do not fit together; measuring the layouts in turn, each on a fresh "
                 "filesystem, not side by side\n";
  } else if (!cache_holds(cfg, layouts, size)) {
    std::cerr << "cas-bench: the stores of " << human(size)
              << " files together outgrow the page cache; measuring the layouts in turn, each "
                 "on a fresh filesystem, so none is measured in the cache another evicted\n";
  } else {
    measure_on_fresh_fs(layouts);
    return;
  }
  for (const auto& l : layouts) measure_on_fresh_fs({l});
}

// Holds an exclusive lock on the bench directory, so two runs never build or purge the same
// cached stores at once. Throws cas::Error when another run holds it.
class BenchDirLock {
 public:
  explicit BenchDirLock(const std::string& dir) {
    const std::string path = dir + "/.cas-bench-lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) cas::throw_errno(errno, "open", path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw cas::Error("another cas-bench is using " + dir + " (it holds " + path + ")");
    }
  }
  ~BenchDirLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

// The whole run, every size, then the report.
void run_all(const Config& cfg, const Layouts& layouts, const std::string& fs_description) {
  Results results;
  auto start = std::chrono::steady_clock::now();
  for (std::uint64_t size : cfg.sizes) {
    if (cfg.make_fs.empty()) {
      run_size(cfg, layouts, size, start, results);
    } else {
      run_size_on_scratch(cfg, layouts, size, start, results);
    }
    bench::write_partial(cfg, results, layouts, fs_description, elapsed(start));
  }
  bench::end_status();
  const double seconds = elapsed(start);
  bench::report(cfg, results, layouts, fs_description, seconds);
}

// The whole run; a temporary --bench-dir is removed at the end, whatever happens (scratch
// filesystems go as each size ends, or on SIGINT/SIGTERM: scratch_fs.hpp).
int run(Config cfg, const Layouts& layouts) {
  try {
    fs::create_directories(cfg.out);
    std::string fs_description;
    std::optional<BenchDirLock> lock;
    if (!cfg.make_fs.empty()) {
      fs_description = bench::ScratchFs::describe(bench::scratch_spec(cfg, layouts, 0)) +
                       ", a fresh filesystem for each size";
    } else {
      if (cfg.temporary_stores) {
        cfg.bench_dir = (fs::path("/var/tmp") / fs::unique_path("cas-bench-%%%%%%%%")).string();
      }
      fs::create_directories(cfg.bench_dir);
      lock.emplace(cfg.bench_dir);
      fs_description = bench::describe_fs(cfg.bench_dir);
    }
    std::cerr << "cas-bench: stores in "
              << (cfg.make_fs.empty() ? cfg.bench_dir : "scratch filesystems")
              << (cfg.temporary_stores ? " (temporary)" : "") << " on " << fs_description
              << ", results in " << cfg.out << ", " << (cfg.cold ? "cold" : "warm") << " cache\n";
    run_all(cfg, layouts, fs_description);
  } catch (const std::exception& e) {
    bench::end_status();
    std::cerr << "cas-bench: " << e.what() << "\n";
    if (cfg.temporary_stores && cfg.make_fs.empty() && !cfg.bench_dir.empty()) {
      boost::system::error_code ec;
      fs::remove_all(cfg.bench_dir, ec);
    }
    return 1;
  }
  if (cfg.temporary_stores && cfg.make_fs.empty()) fs::remove_all(cfg.bench_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  Layouts layouts;
  if (auto exit_code = bench::configure(argc, argv, cfg, layouts)) return *exit_code;
  return run(std::move(cfg), layouts);
}
