// cas-bench: the layout report. For each store size and layout it measures insert (with and
// without fsync), remove, and random open (hit and miss), then prints a table per operation
// and writes a CSV and a PNG chart (gnuplot) into --out.
//
// Layouts are measured side by side: each size runs `--rounds` rounds, alternating the order of
// the layouts between rounds, and reports the median round.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "layout_bench.hpp"
#include "tool_cli.hpp"

namespace fs = boost::filesystem;
namespace bench = cas::bench;

namespace {

struct Config {
  bool quick = false;
  std::string out = "cas-bench-out";
  std::string bench_dir;
  std::string layouts = "v0,v1,fanout:2,2";
  std::vector<std::uint64_t> sizes;
  std::uint64_t max_size = 0;
  std::uint64_t ops = 500;
  std::uint64_t fsync_ops = 50;
  unsigned rounds = 3;
  std::size_t file_size = 100;
  unsigned threads = 16;
  bool cold = false;
  bool no_chart = false;
};

const char* const kOperations[] = {"insert", "insert_fsync", "insert_full", "insert_batch",
                                   "remove", "open_hit",     "open_miss"};

struct Cell {
  double us = 0;
  std::uint64_t ops = 0;
};

// results[operation][size][layout]
using Results = std::map<std::string, std::map<std::uint64_t, std::map<std::string, Cell>>>;

bool stderr_is_tty() { return ::isatty(2) == 1; }

void status(const std::string& line) {
  if (stderr_is_tty()) {
    std::cerr << "\r\033[K" << line << std::flush;
  } else {
    std::cerr << line << "\n";
  }
}

void end_status() {
  if (stderr_is_tty()) std::cerr << "\r\033[K" << std::flush;
}

std::string human(std::uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Measures every operation for one (layout, size) once.
std::map<std::string, Cell> measure(const Config& cfg,
                                    const std::shared_ptr<const cas::Layout>& layout,
                                    std::uint64_t size, unsigned round) {
  std::map<std::string, Cell> out;
  const std::string dir = bench::store_dir(cfg.bench_dir, *layout, size);
  cas::Store fast(dir, bench::bench_options(layout, cas::Durability::none));
  cas::Store durable(dir, bench::bench_options(layout, cas::Durability::file));
  auto cold = [&] {
    if (cfg.cold) bench::drop_caches();
  };
  cold();
  auto t = bench::time_insert(fast, size, cfg.ops, cfg.file_size);
  out["insert"] = {t.us_per_op, t.ops};
  cold();
  t = bench::time_insert(durable, size, cfg.fsync_ops, cfg.file_size);
  out["insert_fsync"] = {t.us_per_op, t.ops};
  cas::Store full(dir, bench::bench_options(layout, cas::Durability::full));
  cold();
  t = bench::time_insert(full, size, cfg.fsync_ops, cfg.file_size);
  out["insert_full"] = {t.us_per_op, t.ops};
  cas::Store batch(dir, bench::bench_options(layout, cas::Durability::batch));
  cold();
  t = bench::time_insert(batch, size, cfg.ops, cfg.file_size);
  out["insert_batch"] = {t.us_per_op, t.ops};
  cold();
  t = bench::time_remove(fast, size, cfg.ops, cfg.file_size);
  out["remove"] = {t.us_per_op, t.ops};
  t = bench::time_random_open(fast, size, cfg.ops, cfg.file_size, true, cfg.cold, 1000 + round);
  out["open_hit"] = {t.us_per_op, t.ops};
  t = bench::time_random_open(fast, size, cfg.ops, cfg.file_size, false, cfg.cold, 2000 + round);
  out["open_miss"] = {t.us_per_op, t.ops};
  return out;
}

void print_tables(const Config& cfg, const Results& results,
                  const std::vector<std::shared_ptr<const cas::Layout>>& layouts) {
  static const std::map<std::string, std::string> kTitles = {
      {"insert", "insert (rename into place, no fsync)"},
      {"insert_fsync", "insert with Durability::file (fsync, then rename)"},
      {"insert_full", "insert with Durability::full (fsync, rename, fsync the directory)"},
      {"insert_batch", "insert with Durability::batch (all inserts, then one Store::flush)"},
      {"remove", "remove (unlink, prune)"},
      {"open_hit", "random open + read + close of a present file"},
      {"open_miss", "random lookup of an absent hash (probes every configured layout)"}};
  for (const char* op : kOperations) {
    auto it = results.find(op);
    if (it == results.end()) continue;
    std::cout << "\n"
              << kTitles.at(op) << " — µs per operation (operations/s), "
              << (cfg.cold ? "cold" : "warm") << " cache\n\n";
    std::cout << "| files |";
    for (const auto& l : layouts) std::cout << " " << l->name() << " |";
    std::cout << "\n|---:|";
    for (std::size_t i = 0; i < layouts.size(); ++i) std::cout << "---:|";
    std::cout << "\n";
    for (const auto& [size, by_layout] : it->second) {
      std::cout << "| " << human(size) << " |";
      for (const auto& l : layouts) {
        auto c = by_layout.find(std::string(l->name()));
        if (c == by_layout.end()) {
          std::cout << " skipped |";
          continue;
        }
        std::ostringstream cell;
        cell << std::fixed << std::setprecision(c->second.us < 100 ? 1 : 0) << c->second.us << " ("
             << static_cast<std::uint64_t>(1e6 / std::max(c->second.us, 1e-3)) << ")";
        std::cout << " " << cell.str() << " |";
      }
      std::cout << "\n";
    }
  }
}

void write_csv(const Config& cfg, const Results& results, const std::string& path) {
  std::ofstream csv(path);
  csv << "layout,files,operation,us_per_op,ops_per_s,ops_measured,cache\n";
  for (const auto& [op, by_size] : results) {
    for (const auto& [size, by_layout] : by_size) {
      for (const auto& [layout, c] : by_layout) {
        csv << '"' << layout << "\"," << size << "," << op << "," << c.us << ","
            << 1e6 / std::max(c.us, 1e-3) << "," << c.ops << "," << (cfg.cold ? "cold" : "warm")
            << "\n";
      }
    }
  }
  if (!csv) throw cas::IoError(errno, "write", path);
}

// Draws one panel per operation: time per operation against store size, one line per layout.
// The data goes to chart.dat, one block per operation (gnuplot's `index`), one column per
// layout, so each layout's points form one connected line.
bool write_chart(const Config& cfg, const Results& results, const std::string& png,
                 const std::vector<std::shared_ptr<const cas::Layout>>& layouts) {
  const std::string data_path = cfg.out + "/chart.dat";
  std::ofstream data(data_path);
  std::vector<std::string> ops;
  for (const char* op : kOperations) {
    auto it = results.find(op);
    if (it == results.end()) continue;
    ops.push_back(op);
    data << "# " << op << ": files";
    for (const auto& l : layouts) data << " " << l->name();
    data << "\n";
    for (const auto& [size, by_layout] : it->second) {
      data << size;
      for (const auto& l : layouts) {
        auto c = by_layout.find(std::string(l->name()));
        if (c == by_layout.end()) {
          data << " ?";
        } else {
          data << " " << c->second.us;
        }
      }
      data << "\n";
    }
    data << "\n\n";
  }
  data.close();
  const std::string script_path = cfg.out + "/chart.gp";
  std::ofstream gp(script_path);
  gp << "set terminal pngcairo size 2000,900 noenhanced font ',10'\n"
     << "set output '" << png << "'\n"
     << "set datafile missing '?'\n"
     << "set logscale x 10\nset logscale y 10\n"
     << "set xlabel 'files in the store'\nset ylabel 'µs per operation'\n"
     << "set key top left\nset grid\n"
     << "set multiplot layout 2,4 title 'cas layout benchmark (" << (cfg.cold ? "cold" : "warm")
     << " cache)'\n";
  for (std::size_t k = 0; k < ops.size(); ++k) {
    gp << "set title '" << ops[k] << "'\nplot ";
    for (std::size_t i = 0; i < layouts.size(); ++i) {
      gp << (i ? ", " : "") << "'" << data_path << "' index " << k << " using 1:" << i + 2
         << " with linespoints lw 2 title '" << layouts[i]->name() << "'";
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  gp.close();
  std::string cmd = "gnuplot '" + script_path + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) output += buf;
  int rc = ::pclose(p);
  if (rc != 0) {
    std::cerr << "cas-bench: gnuplot failed (install gnuplot-nox for the chart): " << output;
    return false;
  }
  return true;
}

using Layouts = std::vector<std::shared_ptr<const cas::Layout>>;

void add_options(CLI::App& app, Config& cfg) {
  using cas::tool::add_number;
  const CLI::Validator& number = cas::tool::decimal_check();
  app.add_flag("--quick", cfg.quick,
               "the Quick start's matrix: sizes 1 to 100k, layouts v0, v1, fanout:2,2, in a "
               "temporary directory (a few minutes)");
  app.add_option("--out", cfg.out, "directory for results.csv, chart.png and table.md")
      ->capture_default_str();
  app.add_option("--bench-dir", cfg.bench_dir,
                 "where benchmark stores are built and kept for later runs (default: a "
                 "temporary directory under /var/tmp, removed at the end)");
  app.add_option("--layouts", cfg.layouts, "layouts to compare")->capture_default_str();
  app.add_option("--sizes", cfg.sizes, "store sizes (files), e.g. --sizes 1000 100000")
      ->delimiter(',')
      ->check(number);
  app.add_option("--max-size", cfg.max_size,
                 "largest size of the 1, 10, ..., 10M range (default: 100k with --quick, else "
                 "10M or what the disk allows)")
      ->check(number);
  add_number(app, "--ops", cfg.ops, "operations per measurement");
  add_number(app, "--fsync-ops", cfg.fsync_ops, "operations per fsync-insert measurement");
  add_number(app, "--rounds", cfg.rounds, "rounds per size (layouts alternate; median reported)")
      ->check(CLI::Range(1u, 99u));
  add_number(app, "--file-size", cfg.file_size, "bytes per file");
  add_number(app, "--threads", cfg.threads, "threads that build the stores");
  app.add_flag("--cold", cfg.cold, "drop the page cache before each measurement (needs root)");
  app.add_flag("--no-chart", cfg.no_chart, "skip the PNG chart");
}

// Parses the command line into `cfg` and `layouts` and settles the defaults that depend on
// other options. Returns the exit status when there is nothing to run: 0 after --help or
// --version, 2 for a usage error.
std::optional<int> configure(int argc, char** argv, Config& cfg, Layouts& layouts) {
  CLI::App app(
      "cas-bench: measure insert, remove and random open for each layout across store sizes,\n"
      "side by side, and write a table, a CSV and a PNG chart.",
      "cas-bench");
  cas::tool::add_version_flag(app);
  add_options(app, cfg);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return exit_code;
  try {
    layouts = cas::layouts_by_names(cfg.layouts);
  } catch (const std::exception& e) {
    return cas::tool::usage_error(app, e.what());
  }
  if (cfg.sizes.empty()) {
    std::uint64_t max = cfg.max_size ? cfg.max_size : cfg.quick ? 100000 : 10000000;
    for (std::uint64_t s = 1; s <= max && s <= 10000000; s *= 10) cfg.sizes.push_back(s);
  }
  std::sort(cfg.sizes.begin(), cfg.sizes.end());
  if (cfg.cold && ::geteuid() != 0) {
    std::cerr << "cas-bench: --cold needs root to drop the page cache; measuring warm instead\n";
    cfg.cold = false;
  }
  return std::nullopt;
}

// Builds (or finds cached) the store of `size` files for each layout that fits on the disk;
// returns those layouts and says on stderr which were skipped.
Layouts build_stores(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  Layouts fitting;
  for (const auto& layout : layouts) {
    auto need = bench::footprint(*layout, size, cfg.file_size);
    auto have = bench::available(cfg.bench_dir);
    bool cached = fs::exists(bench::store_dir(cfg.bench_dir, *layout, size));
    // Keep 5% of the filesystem free for everyone else.
    if (!cached && (need.inodes > have.inodes * 95 / 100 || need.bytes > have.bytes * 95 / 100)) {
      std::cerr << "cas-bench: skipping " << layout->name() << " at " << human(size)
                << " files: needs ~" << need.inodes << " inodes and " << (need.bytes >> 20)
                << " MiB, the filesystem has " << have.inodes << " inodes and "
                << (have.bytes >> 20) << " MiB free\n";
      continue;
    }
    status("cas-bench: building " + std::string(layout->name()) + " store of " + human(size) +
           " files");
    bench::ensure_store(cfg.bench_dir, *layout, size, cfg.file_size, cfg.threads);
    fitting.push_back(layout);
  }
  return fitting;
}

// Measures every layout of `fitting` at `size` for cfg.rounds rounds, alternating their order,
// and records the median round of each operation in `results`.
void measure_size(const Config& cfg, const Layouts& fitting, std::uint64_t size,
                  std::chrono::steady_clock::time_point start, Results& results) {
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;
  for (unsigned round = 0; round < cfg.rounds; ++round) {
    auto order = fitting;
    if (round % 2) std::reverse(order.begin(), order.end());
    for (const auto& layout : order) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::ostringstream line;
      line << "cas-bench: " << human(size) << " files, " << layout->name() << ", round "
           << round + 1 << "/" << cfg.rounds << " (" << std::fixed << std::setprecision(0) << secs
           << " s elapsed)";
      status(line.str());
      for (const auto& [op, cell] : measure(cfg, layout, size, round)) {
        samples[op][std::string(layout->name())].push_back(cell.us);
        results[op][size][std::string(layout->name())].ops += cell.ops;
      }
    }
  }
  for (auto& [op, by_layout] : samples) {
    for (auto& [layout, us] : by_layout) results[op][size][layout].us = median(us);
  }
}

// Prints the tables and writes table.md, results.csv and (unless --no-chart) chart.png.
void report(const Config& cfg, const Results& results, const Layouts& layouts) {
  std::ostringstream table;
  auto* old = std::cout.rdbuf(table.rdbuf());
  print_tables(cfg, results, layouts);
  std::cout.rdbuf(old);
  std::cout << table.str();
  std::ofstream(cfg.out + "/table.md") << table.str();
  const std::string csv = cfg.out + "/results.csv";
  write_csv(cfg, results, csv);
  std::cout << "\nwrote " << csv << " and " << cfg.out << "/table.md";
  if (!cfg.no_chart && write_chart(cfg, results, cfg.out + "/chart.png", layouts)) {
    std::cout << " and " << cfg.out << "/chart.png";
  }
  std::cout << "\n";
}

// The whole run; a temporary --bench-dir is removed at the end, whatever happens.
int run(Config cfg, const Layouts& layouts) {
  bool temp_bench_dir = cfg.bench_dir.empty();
  try {
    if (temp_bench_dir) {
      cfg.bench_dir = (fs::path("/var/tmp") / fs::unique_path("cas-bench-%%%%%%%%")).string();
    }
    fs::create_directories(cfg.bench_dir);
    fs::create_directories(cfg.out);
    std::cerr << "cas-bench: stores in " << cfg.bench_dir << (temp_bench_dir ? " (temporary)" : "")
              << ", results in " << cfg.out << ", " << (cfg.cold ? "cold" : "warm") << " cache\n";
    Results results;
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t size : cfg.sizes) {
      Layouts fitting = build_stores(cfg, layouts, size);
      measure_size(cfg, fitting, size, start, results);
      if (temp_bench_dir) {
        // Stores of a temporary run are not reused: free their inodes for the next size.
        for (const auto& layout : fitting) {
          bench::remove_store_dir(bench::store_dir(cfg.bench_dir, *layout, size));
        }
      }
    }
    end_status();
    report(cfg, results, layouts);
    if (temp_bench_dir) fs::remove_all(cfg.bench_dir);
  } catch (const std::exception& e) {
    end_status();
    std::cerr << "cas-bench: " << e.what() << "\n";
    if (temp_bench_dir && !cfg.bench_dir.empty()) {
      boost::system::error_code ec;
      fs::remove_all(cfg.bench_dir, ec);
    }
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  Layouts layouts;
  if (auto exit_code = configure(argc, argv, cfg, layouts)) return *exit_code;
  return run(std::move(cfg), layouts);
}
