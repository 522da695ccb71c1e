// The store-wide commands that examine a store: verify, stats.
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bulk_command.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "output.hpp"
#include "units.hpp"

namespace cas::cli {
namespace {

// No --dry-run: dry_run stays false.
struct VerifyArgs : BulkArgs {
  std::string algorithm;  // empty: follow each hash's length
  bool quarantine = false;
  std::string reap_temp = "1h";  // an AGE
};

// verify --reap-temp: a positive AGE (zero would remove the temps of live writers).
std::chrono::seconds reap_age(const std::string& text) {
  std::chrono::seconds age;
  try {
    age = parse_age(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError("verify --reap-temp", e.what());
  }
  if (age.count() <= 0) {
    throw UsageError("verify --reap-temp",
                     "the age must be positive: a live writer's temp file is as young as 0s");
  }
  return age;
}

int run_verify(Context& context, const VerifyArgs& args) {
  if (args.quarantine) context.require_writable("verify --quarantine");
  VerifyOptions verify_options;
  if (!args.algorithm.empty()) verify_options.algorithm = parse_hash_algorithm(args.algorithm);
  verify_options.quarantine = args.quarantine;
  verify_options.reap_temp_older_than = reap_age(args.reap_temp);
  // Reaping crashed writers' temp files changes the store; a read-only run must not.
  if (context.options().read_only) verify_options.reap_temp_older_than = std::chrono::seconds(0);
  return run_bulk(context, "verify", args, verify_options, verify,
                  [&args](const VerifyResult& r) -> BulkSummary {
                    const char* why = args.quarantine
                                          ? "content does not match its name (quarantined)"
                                          : "content does not match its name";
                    for (const auto& path : r.corrupt_paths) print_error("verify " + path, why);
                    Counts counts = {{"ok", r.ok},
                                     {"corrupt", r.corrupt},
                                     {"quarantined", r.quarantined},
                                     {"unknown_algorithm", r.unknown_algorithm},
                                     {"unrecognized", r.unrecognized},
                                     {"temp_reaped", r.temp_reaped},
                                     {"bytes", r.bytes},
                                     {"failed", r.failed}};
                    return {std::move(counts), r.corrupt > 0};  // a mismatch fails the command
                  });
}

struct StatsArgs {
  unsigned threads = 0;
  bool json = false;
};

int run_stats(Context& context, const StatsArgs& args) {
  ProgressBar bar("stats", context.show_progress());
  OperationOptions options;
  // Stats is itself a listing: counting first would list the store twice for an ETA.
  options.threads = args.threads;
  options.progress = bar.callback();
  StoreStats s = stats(context.store(), options);
  bar.finish();
  std::vector<std::string> order;
  for (const auto& layout : context.store().layouts()) order.emplace_back(layout->name());
  // The stats are the command's output, not a summary: --quiet does not silence them.
  std::cout << (args.json ? format_stats_json(s, context.store().root().string(), order)
                          : format_stats_text(s, order, std::time(nullptr)));
  print_operation_errors("stats", s);
  return s.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void add_check_commands(CommandRegistry& registry) {
  auto [verify_command, verify_args] = registry.add(
      "verify",
      "Re-hash every file in parallel and report those whose content does not match their "
      "name; also removes temp files of writers that crashed (not written for --reap-temp)",
      "0 every file matches; 1 a file does not match its name or could not be read; 2 usage "
      "error, or the root does not exist.",
      RootUse::existing, run_verify);
  verify_command
      ->add_option("--algo", verify_args->algorithm,
                   "Check only names of this algorithm (sha1, sha256 or sha512); default: "
                   "each by its length, 40/64/128")
      ->type_name("ALGO")
      ->check(algorithm_name_check());
  verify_command->add_flag("--quarantine", verify_args->quarantine,
                           "Move mismatching files to .cas-quarantine/ inside the root");
  verify_command
      ->add_option("--reap-temp", verify_args->reap_temp,
                   "Remove temp files in .cas-tmp/ not written for this long: writers that "
                   "crashed (a live writer keeps its temp fresh); s, m, h or d, e.g. 10m")
      ->type_name("AGE")
      ->capture_default_str();
  add_threads_option(verify_command, verify_args->threads);

  auto [stats_command, stats_args] = registry.add(
      "stats",
      "Count files and bytes per layout, unrecognized files and empty directories; pinned "
      "hashes; when the content was last used (oldest, median, newest)",
      "0 done; 1 part of the store could not be read; 2 usage error, or the root does not "
      "exist.",
      RootUse::existing, run_stats);
  stats_command->add_flag("--json", stats_args->json, "Print one JSON object instead of text");
  add_threads_option(stats_command, stats_args->threads);
}

}  // namespace cas::cli
