// cas-bench's output (bench_config.hpp): progress, and the report with the facts a reader
// needs to compare it with another run (when, where, how, how long).
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_config.hpp"
#include "cas/errors.hpp"
#include "layout_bench.hpp"

namespace cas::bench {
namespace {

bool stderr_is_tty() { return ::isatty(2) == 1; }

std::string first_line_with(const std::string& file, const std::string& prefix) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

std::string machine() {
  struct utsname u;
  ::uname(&u);
  std::string cpu = first_line_with("/proc/cpuinfo", "model name");
  if (auto colon = cpu.find(':'); colon != std::string::npos) cpu = cpu.substr(colon + 2);
  std::string mem = first_line_with("/proc/meminfo", "MemTotal:");
  std::ostringstream s;
  s << ::sysconf(_SC_NPROCESSORS_ONLN) << " CPUs (" << cpu << "), "
    << mem.substr(mem.find_first_not_of(" ", 9)) << " RAM, Linux " << u.release;
  return s.str();
}

std::string header(const Config& cfg, const std::string& fs_description, double seconds) {
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream h;
  h << "# cas-bench, " << date << "\n\n"
    << "- machine: " << machine() << "\n"
    << "- filesystem: " << fs_description << "\n"
    << "- command: `" << cfg.command_line << "`\n"
    << "- " << cfg.file_size << "-byte files; " << cfg.ops << " operations per measurement ("
    << cfg.fsync_ops << " for fsync inserts), median of " << cfg.rounds
    << " rounds; floors: the raw syscalls, same store, same round, in the order cas, floor, "
       "floor, cas, each of the four over half the operations (bench/floor_ops.hpp)\n"
    << "- run time: " << static_cast<long>(seconds) / 60 << " min "
    << static_cast<long>(seconds) % 60 << " s (building the stores included)\n";
  return h.str();
}

}  // namespace

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

std::string describe_fs(const std::string& dir) {
  auto m = mount_holding(dir);
  return m ? m->type + " (" + m->options + ") on " + m->source : "unknown filesystem";
}

void write_partial(const Config& cfg, const Results& results, const Layouts& layouts,
                   const std::string& fs_description, double seconds) {
  std::ofstream(cfg.out + "/table.md")
      << header(cfg, fs_description, seconds) << "- INCOMPLETE: the run has not finished\n"
      << tables(results, layouts, cfg.cold);
  write_csv(results, cfg.out + "/results.csv", cfg.cold);
}

void report(const Config& cfg, const Results& results, const Layouts& layouts,
            const std::string& fs_description, double seconds) {
  const std::string text =
      header(cfg, fs_description, seconds) + tables(results, layouts, cfg.cold);
  std::cout << text;
  std::ofstream(cfg.out + "/table.md") << text;
  const std::string csv = cfg.out + "/results.csv";
  write_csv(results, csv, cfg.cold);
  std::cout << "\nwrote " << csv << " and " << cfg.out << "/table.md";
  std::string title = "cas layout benchmark, " +
                      fs_description.substr(0, fs_description.find(' ')) +
                      (cfg.cold ? ", cold cache" : ", warm cache");
  if (!cfg.no_chart && write_chart(results, layouts, cfg.out, title)) {
    std::cout << " and " << cfg.out << "/chart.png";
  }
  std::cout << "\n";
}

}  // namespace cas::bench
