// Google Benchmark suites for layouts: BM_Layout_Insert, BM_Layout_Remove and
// BM_Layout_RandomOpen, for every layout and store size, each iteration one operation on a
// cached benchmark store (see layout_bench.hpp). They answer what cas-bench answers (how long
// an insert, a remove and a random open take per layout and store size), in Google Benchmark's
// form: its filters, repetitions and JSON output. No results are kept in bench/results/
// (cas-bench's are the layout report); --benchmark_out=FILE writes a run's.
//
//   build/bench/cas-benchmarks --bench-dir=/var/tmp/cas-bm --max-size=10000
//       --benchmark_filter='BM_Layout_RandomOpen/v1/.*'
//
// Flags of this program (the rest go to Google Benchmark; --help lists both):
//   --bench-dir=DIR   where benchmark stores are built and cached (required: on the disk to
//                     measure)
//   --max-size=N      largest store size registered (default 10000; sizes are 1, 10, ..., 10M)
//   --layouts=LIST    layouts to register (default v0,v1,fanout:2,2)
//   --version         the project version
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <CLI/CLI.hpp>
#include <boost/filesystem.hpp>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "layout_bench.hpp"
#include "tool_cli.hpp"
#include "tree_generator.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace bench = cas::bench;

std::string g_bench_dir;
std::uint64_t g_max_size = 10000;
std::string g_layouts = "v0,v1,fanout:2,2";
constexpr std::size_t kFileSize = 100;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void write_source(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("cannot write " + path);
  }
  ::close(fd);
}

cas::Store open_store(const std::shared_ptr<const cas::Layout>& layout, std::uint64_t size,
                      cas::Durability durability) {
  bench::ensure_store(g_bench_dir, *layout, size, kFileSize, 16);
  return cas::Store(bench::store_dir(g_bench_dir, *layout, size),
                    bench::bench_options(layout, durability));
}

void BM_Layout_Insert(benchmark::State& state, std::shared_ptr<const cas::Layout> layout,
                      std::uint64_t size, cas::Durability durability) {
  cas::Store store = open_store(layout, size, durability);
  const std::string tmp = (store.root() / std::string(cas::Store::kTempDirName)).string();
  boost::filesystem::create_directories(tmp);
  std::vector<std::string> inserted;
  std::uint64_t i = 0;
  for (auto _ : state) {
    std::string data = bench::payload((1ull << 41) + i++, kFileSize);
    std::string hash = cas::hash_bytes(data, cas::HashAlgorithm::sha256);
    write_source(tmp + "/bm-src", data);
    auto t0 = Clock::now();
    store.insert(hash, tmp + "/bm-src");
    // batch64: every 64th insert pays for the batch's one flush (syncfs).
    if (durability == cas::Durability::batch && i % 64 == 0) store.flush();
    state.SetIterationTime(seconds(t0, Clock::now()));
    inserted.push_back(std::move(hash));
  }
  for (const auto& h : inserted) store.remove(h);
}

void BM_Layout_Remove(benchmark::State& state, std::shared_ptr<const cas::Layout> layout,
                      std::uint64_t size) {
  cas::Store store = open_store(layout, size, cas::Durability::none);
  const std::string tmp = (store.root() / std::string(cas::Store::kTempDirName)).string();
  boost::filesystem::create_directories(tmp);
  std::uint64_t i = 0;
  for (auto _ : state) {
    std::string data = bench::payload((1ull << 42) + i++, kFileSize);
    std::string hash = cas::hash_bytes(data, cas::HashAlgorithm::sha256);
    write_source(tmp + "/bm-src", data);
    store.insert(hash, tmp + "/bm-src");
    auto t0 = Clock::now();
    store.remove(hash);
    state.SetIterationTime(seconds(t0, Clock::now()));
  }
}

void BM_Layout_RandomOpen(benchmark::State& state, std::shared_ptr<const cas::Layout> layout,
                          std::uint64_t size, bool hit) {
  cas::Store store = open_store(layout, size, cas::Durability::none);
  std::mt19937_64 rng(42);
  char buf[kFileSize];
  for (auto _ : state) {
    std::string hash = bench::file_hash(hit ? rng() % size : (1ull << 43) + rng(), kFileSize);
    auto t0 = Clock::now();
    if (hit) {
      auto in = store.open(hash);
      if (!in) {
        state.SkipWithError("a benchmark file is missing");
        break;
      }
      in->read(buf, sizeof buf);
    } else if (store.lookup(hash)) {
      state.SkipWithError("an absent hash was found");
      break;
    }
    state.SetIterationTime(seconds(t0, Clock::now()));
  }
}

// This program's options; whatever CLI11 does not know is left for Google Benchmark.
void add_options(CLI::App& app) {
  app.add_option("--bench-dir", g_bench_dir,
                 "where the stores are built and kept between runs (required: on the disk to "
                 "measure)")
      ->type_name("DIR");
  cas::tool::add_number(app, "--max-size", g_max_size, "largest store size of 1, 10, ..., 10M")
      ->type_name("N");
  app.add_option("--layouts", g_layouts, "layouts to measure")
      ->type_name("LIST")
      ->capture_default_str();
  app.footer(
      "plus every --benchmark_* flag of Google Benchmark (--benchmark_filter=REGEX, ...);\n"
      "-h, --help shows this and then Google Benchmark's list of them\n");
  app.allow_extras();
  // --help goes on to Google Benchmark too, which lists its flags after ours.
  app.set_help_flag();
}

void register_benchmarks(const std::vector<std::shared_ptr<const cas::Layout>>& layouts) {
  for (const auto& layout : layouts) {
    std::string l(layout->name());
    for (std::uint64_t size = 1; size <= g_max_size && size <= 10000000; size *= 10) {
      std::string s = std::to_string(size);
      for (auto [d, tag] :
           {std::pair{cas::Durability::none, "/nosync"}, std::pair{cas::Durability::file, "/fsync"},
            std::pair{cas::Durability::full, "/fsync_dir"},
            std::pair{cas::Durability::batch, "/batch64"}}) {
        benchmark::RegisterBenchmark(("BM_Layout_Insert/" + l + "/" + s + tag).c_str(),
                                     BM_Layout_Insert, layout, size, d)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
      benchmark::RegisterBenchmark(("BM_Layout_Remove/" + l + "/" + s).c_str(), BM_Layout_Remove,
                                   layout, size)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
      for (bool hit : {true, false}) {
        benchmark::RegisterBenchmark(
            ("BM_Layout_RandomOpen/" + l + "/" + s + (hit ? "/hit" : "/miss")).c_str(),
            BM_Layout_RandomOpen, layout, size, hit)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "Google Benchmark suites BM_Layout_Insert/<layout>/<size>/"
      "{nosync,fsync,fsync_dir,batch64},\n"
      "BM_Layout_Remove/<layout>/<size> and BM_Layout_RandomOpen/<layout>/<size>/{hit,miss}.",
      "cas-benchmarks");
  cas::tool::add_version_flag(app);
  add_options(app);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  std::vector<std::shared_ptr<const cas::Layout>> layouts;
  try {
    layouts = cas::layouts_by_names(g_layouts);  // an unknown name is a usage error
  } catch (const std::exception& e) {
    return cas::tool::usage_error(app, e.what());
  }
  // What CLI11 left, in order, for Google Benchmark (which reports what it does not know).
  std::vector<std::string> rest = app.remaining();
  std::vector<char*> rest_argv{argv[0]};
  for (auto& arg : rest) rest_argv.push_back(arg.data());
  const bool help = std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
                    std::find(rest.begin(), rest.end(), "-h") != rest.end();
  if (help) std::cout << app.help();
  // Checked here, not by CLI11: --help must work without it.
  if (!help && g_bench_dir.empty()) return cas::tool::usage_error(app, "--bench-dir is required");
  int rest_argc = static_cast<int>(rest_argv.size());
  benchmark::Initialize(&rest_argc, rest_argv.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest_argv.data())) return 2;
  register_benchmarks(layouts);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
