// cas-bench's settings (its command line) and its output: progress on stderr and the report
// files in --out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_report.hpp"
#include "scratch_fs.hpp"

namespace cas::bench {

struct Config {
  bool quick = false;
  std::string out = "cas-bench-out";
  std::string bench_dir;
  bool temporary_stores = true;  // no --bench-dir: stores are removed once measured
  std::string layouts = "v0,v1,fanout:2,2";
  std::vector<std::uint64_t> sizes;
  std::uint64_t max_size = 0;
  std::uint64_t ops = 500;
  std::uint64_t fsync_ops = 50;
  unsigned rounds = 3;
  std::size_t file_size = 100;
  unsigned threads = 16;
  bool cold = false;
  std::vector<std::uint64_t> cold_at;  // sizes whose opens are measured cold as well
  bool no_chart = false;
  std::string make_fs;  // a scratch_fs.hpp kind, or empty: the stores go on bench_dir's filesystem
  std::string fs_size;
  std::uint64_t fs_inodes = 0;
  std::string fs_image_dir = "/var/tmp";
  std::string command_line;
};

// Parses the command line into `cfg` and `layouts` and settles the defaults that depend on
// other options. Returns the exit status when there is nothing to run: 0 after --help or
// --version, 2 for a usage error.
std::optional<int> configure(int argc, char** argv, Config& cfg, Layouts& layouts);

// The scratch filesystem cfg asks for, for the stores of `layouts` at `size` files (0: the
// largest size). Unless given: an image of 90% of the free space of --fs-image-dir (a tmpfs:
// half the RAM), with inodes for all those stores at once (ext4 and tmpfs fix them at creation).
ScratchFsSpec scratch_spec(const Config& cfg, const Layouts& layouts, std::uint64_t size);

// Progress: one rewritten line on a terminal, else a line per step.
void status(const std::string& line);
void end_status();

// "ext4 (rw,relatime,discard) on /dev/vda": the filesystem holding `dir`, from /proc/mounts.
std::string describe_fs(const std::string& dir);

// Writes table.md (marked incomplete) and results.csv with the sizes measured so far, so a run
// that dies at 10M keeps what it measured before.
void write_partial(const Config& cfg, const Results& results, const Layouts& layouts,
                   const std::string& fs_description, double seconds);

// Prints the tables and writes table.md (headed by the date, machine, filesystem, command and
// run time), results.csv and (unless --no-chart) chart.png into cfg.out.
void report(const Config& cfg, const Results& results, const Layouts& layouts,
            const std::string& fs_description, double seconds);

}  // namespace cas::bench
