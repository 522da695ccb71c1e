#include "bench_config.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "layout_bench.hpp"
#include "tool_cli.hpp"

namespace cas::bench {
namespace {

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
  app.add_option("--cold-at", cfg.cold_at,
                 "sizes at which random opens are also measured after dropping the page cache, "
                 "with the disk reads per open (needs root), e.g. --cold-at 1000000,10000000")
      ->delimiter(',')
      ->check(number);
  app.add_flag("--no-chart", cfg.no_chart, "skip the PNG chart");
  app.add_option("--make-fs", cfg.make_fs,
                 "build the stores on a scratch filesystem made for this run and removed after "
                 "it (needs root): ext4 (no journal, mounted discard, as this machine's /), "
                 "ext4-journal, xfs, btrfs (loop-mounted sparse images) or tmpfs")
      ->check(CLI::IsMember(scratch_fs_types()))
      ->excludes("--bench-dir");
  app.add_option("--fs-size", cfg.fs_size,
                 "size of the --make-fs filesystem, e.g. 60G (default: 90% of the free space "
                 "of --fs-image-dir; tmpfs: half the RAM)");
  add_number(app, "--fs-inodes", cfg.fs_inodes,
             "inodes of an ext4 or tmpfs --make-fs filesystem (default: enough for every "
             "layout's largest store at once)");
  app.add_option("--fs-image-dir", cfg.fs_image_dir,
                 "directory that holds the --make-fs image (sparse)")
      ->capture_default_str();
}

std::uint64_t ram_bytes() {
  return static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
         static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
}

}  // namespace

std::optional<int> configure(int argc, char** argv, Config& cfg, Layouts& layouts) {
  CLI::App app(
      "cas-bench: measure insert, remove and random open for each layout across store sizes,\n"
      "side by side and each beside its syscall floor, and write a table, a CSV and a PNG chart.",
      "cas-bench");
  cas::tool::add_version_flag(app);
  add_options(app, cfg);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return exit_code;
  for (int i = 0; i < argc; ++i) cfg.command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    layouts = cas::layouts_by_names(cfg.layouts);
    if (!cfg.fs_size.empty()) parse_size(cfg.fs_size);
  } catch (const std::exception& e) {
    return cas::tool::usage_error(app, e.what());
  }
  cfg.temporary_stores = cfg.bench_dir.empty();
  if (cfg.sizes.empty()) {
    std::uint64_t max = cfg.max_size ? cfg.max_size : cfg.quick ? 100000 : 10000000;
    for (std::uint64_t s = 1; s <= max && s <= 10000000; s *= 10) cfg.sizes.push_back(s);
  }
  std::sort(cfg.sizes.begin(), cfg.sizes.end());
  if ((cfg.cold || !cfg.cold_at.empty()) && ::geteuid() != 0) {
    std::cerr << "cas-bench: --cold and --cold-at need root to drop the page cache; measuring "
                 "warm only\n";
    cfg.cold = false;
    cfg.cold_at.clear();
  }
  if (!cfg.make_fs.empty() && ::geteuid() != 0) {
    return cas::tool::usage_error(app, "--make-fs needs root (mkfs and mount)");
  }
  return std::nullopt;
}

ScratchFsSpec scratch_spec(const Config& cfg, const Layouts& layouts, std::uint64_t size) {
  ScratchFsSpec spec;
  spec.type = cfg.make_fs;
  spec.image_dir = cfg.fs_image_dir;
  if (!cfg.fs_size.empty()) {
    spec.bytes = parse_size(cfg.fs_size);
  } else if (spec.type == "tmpfs") {
    spec.bytes = ram_bytes() / 2;
  } else {
    spec.bytes = available(cfg.fs_image_dir).bytes / 10 * 9;
  }
  spec.inodes = cfg.fs_inodes;
  if (!spec.inodes && (spec.type == "tmpfs" || spec.type.starts_with("ext4"))) {
    std::uint64_t largest = size ? size : cfg.sizes.empty() ? 0 : cfg.sizes.back();
    for (const auto& l : layouts) spec.inodes += footprint(*l, largest, cfg.file_size).inodes;
    spec.inodes += spec.inodes / 8 + 100000;  // fit_together keeps 5% free
  }
  return spec;
}

}  // namespace cas::bench
