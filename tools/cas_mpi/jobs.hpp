// The store-wide commands of cas-mpi as Jobs: the same checks, counts, summary lines and exit
// codes as `cas` (tools/cas_cli/maintenance_commands.cpp, check_commands.cpp), with each
// library call limited to one bucket.
//
// Thread-safety: main thread only (the Jobs' `run` as job.hpp says).
#pragma once

#include <string>
#include <vector>

#include "bulk_command.hpp"
#include "context.hpp"
#include "job.hpp"
#include "trim_args.hpp"

namespace cas::mpi {

// Every command's arguments, as CLI11 fills them (each command reads its own).
struct CommandArgs {
  cli::BulkArgs bulk;                   // -j, -n
  std::vector<std::string> keep_files;  // gc --keep
  bool allow_empty_keep = false;        // gc --allow-empty-keep
  std::string from;                     // sync --from
  bool delete_extras = false;           // sync --delete
  std::string algorithm;                // verify --algo
  bool quarantine = false;              // verify --quarantine
  bool json = false;                    // stats --json
  cli::TrimArgs trim;                   // trim's bounds, -j and -n
};

// The Job for `command` ("migrate", "purge", "gc", "sync", "verify", "stats" or "ls") on the store
// of `context`, after the checks `cas` makes before it changes anything. Throws cli::UsageError as
// `cas` does (a missing root, --read-only, a bad --keep list...).
Job make_job(cli::Context& context, const std::string& command, const CommandArgs& args);

// Each group's part of make_job (maintenance_jobs.cpp, check_jobs.cpp, list_job.cpp).
Job make_maintenance_job(cli::Context& context, const std::string& command,
                         const CommandArgs& args);
Job make_verify_job(cli::Context& context, const CommandArgs& args);
Job make_stats_job(cli::Context& context, const CommandArgs& args);
Job make_list_job(cli::Context& context, const CommandArgs& args);

// trim, which is not one Job but three walks with decisions between them (trim_job.cpp):
// collective; returns the exit code on every rank. `options`: the bounds, checked.
int run_trim_job(cli::Context& context, const TrimOptions& options, const cli::BulkArgs& args);

// The end of a counting command on rank 0: prints the errors as `cas` does, then the summary
// "<command>: name=count ..." unless --quiet; returns 1 when `failed` (the count named
// "failed") is non-zero or `partial`, else 0.
int finish_counts(const cli::Context& context, const std::string& command,
                  const std::vector<std::string>& names, const Tally& total, bool dry_run,
                  bool partial = false);

// The identity of a job for its checkpoint: the command, the store's root and layouts, and
// `options` (the arguments that change the result).
std::string identity(const cli::Context& context, const std::string& command,
                     const std::string& options);

}  // namespace cas::mpi
