// cas-trim-bench: runs cas::trim on a store once and prints its TrimResult, one "key value"
// line each, so a benchmark script can time it (with /usr/bin/time for the peak RSS) and check
// the counts. The `cas` tool's own trim subcommand is the way for users; this driver exists so
// the library call is measured alone.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "tool_cli.hpp"

namespace {

struct Config {
  std::string root;
  std::optional<std::uint64_t> max_bytes;
  std::optional<std::uint64_t> max_files;
  std::optional<std::uint64_t> max_age_seconds;
  double low_water = 0.9;
  unsigned threads = 0;
  bool dry_run = false;
};

void add_options(CLI::App& app, Config& cfg) {
  using cas::tool::decimal_check;
  app.add_option("--max-bytes", cfg.max_bytes, "size bound (bytes of content)")
      ->type_name("BYTES")
      ->check(decimal_check());
  app.add_option("--max-files", cfg.max_files, "count bound (content files)")
      ->type_name("N")
      ->check(decimal_check());
  app.add_option("--max-age", cfg.max_age_seconds, "age bound: seconds since last use")
      ->type_name("SECONDS")
      ->check(decimal_check());
  app.add_option("--low-water", cfg.low_water, "trim down to this share of a bound, in (0, 1]")
      ->type_name("SHARE")
      ->capture_default_str();
  cas::tool::add_number(app, "--threads", cfg.threads, "walker threads (0: the walker's default)")
      ->type_name("N");
  app.add_flag("--dry-run", cfg.dry_run, "count what would go, remove nothing");
  app.add_option("ROOT", cfg.root, "the store's root")->required();
}

cas::TrimOptions trim_options(const Config& cfg) {
  cas::TrimOptions o;
  o.max_bytes = cfg.max_bytes;
  o.max_files = cfg.max_files;
  if (cfg.max_age_seconds) o.max_age = std::chrono::seconds(*cfg.max_age_seconds);
  o.low_water = cfg.low_water;
  o.threads = cfg.threads;
  o.dry_run = cfg.dry_run;
  return o;
}

void print(const cas::TrimResult& r, double seconds) {
  std::cout << "scanned_files " << r.scanned_files << "\nscanned_bytes " << r.scanned_bytes
            << "\nremoved_files " << r.removed_files << "\nremoved_bytes " << r.removed_bytes
            << "\npinned " << r.pinned << "\nrecently_used " << r.recently_used
            << "\ndirectories_removed " << r.directories_removed << "\nfailed " << r.failed
            << "\nseconds " << seconds << "\n";
  for (const auto& e : r.errors) std::cerr << "cas-trim-bench: " << e << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app(
      "Trims the store at ROOT with cas::trim (least recently used first, by mtime) to the\n"
      "given bounds and prints the result's counts and the call's wall time in seconds.",
      "cas-trim-bench");
  cas::tool::add_version_flag(app);
  add_options(app, cfg);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  try {
    cas::Store store(cfg.root);
    auto t0 = std::chrono::steady_clock::now();
    cas::TrimResult result = cas::trim(store, trim_options(cfg));
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - t0;
    print(result, elapsed.count());
    return result.failed == 0 ? 0 : 1;
  } catch (const cas::InvalidArgumentError& e) {
    return cas::tool::usage_error(app, e.what());
  } catch (const std::exception& e) {
    std::cerr << "cas-trim-bench: " << e.what() << "\n";
    return 1;
  }
}
