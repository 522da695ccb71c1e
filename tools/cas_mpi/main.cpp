// cas-mpi: the store-wide commands of `cas` (ls, migrate, purge, gc, sync, verify, stats,
// trim) run by the ranks of an MPI job, each rank running the store engine on the hash-prefix
// buckets it takes from one shared counter (scheduler.hpp). Same command line, output and exit
// codes as `cas`: 0 success, 1 the operation failed or was partial, 2 a usage error. Rank 0
// prints; every rank exits with its code. Options of its own: --checkpoint FILE (resume a
// killed job: checkpoint.hpp), --bucket-split N (buckets.hpp) and --stats-per-rank (files,
// bytes and seconds per rank).
#include <mpi.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "buckets.hpp"
#include "bulk_command.hpp"
#include "cas/hash.hpp"
#include "cas/walker.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "jobs.hpp"
#include "scheduler.hpp"
#include "trim_args.hpp"

#ifndef CAS_VERSION
#error "CAS_VERSION is the project version; link the cas-cli-common target"
#endif

namespace cas::mpi {
namespace {

struct Parsed {
  cli::GlobalOptions global;
  JobOptions job;
  std::string checkpoint;
  CommandArgs args;
};

// The commands and their options, as `cas` has them.
void add_commands(CLI::App& app, Parsed& p) {
  auto bulk = [&](const std::string& name, const std::string& what) {
    CLI::App* c = app.add_subcommand(name, what);
    cli::add_bulk_options(c, p.args.bulk);
    return c;
  };
  bulk("migrate", "Move every file under a non-preferred layout to the preferred one");
  bulk("purge", "Remove everything under the root, keeping the root itself");
  CLI::App* gc = bulk("gc", "Remove every hash not listed in the --keep files");
  gc->add_option("--keep", p.args.keep_files, "A list of hashes to keep; may be repeated")
      ->type_name("FILE")
      ->allow_extra_args(false)
      ->required();
  gc->add_flag("--allow-empty-keep", p.args.allow_empty_keep,
               "Run even when a --keep list holds no hash");
  CLI::App* sync = bulk("sync", "Make this store hold every hash of the store at --from");
  sync->add_option("--from", p.args.from, "The source store's root")->type_name("DIR")->required();
  sync->add_flag("--delete", p.args.delete_extras, "Also remove hashes the source lacks");
  CLI::App* verify = app.add_subcommand("verify", "Re-hash every file; report mismatches");
  verify->add_option("--algo", p.args.algorithm, "Check only names of this algorithm")
      ->type_name("ALGO")
      ->check(cli::algorithm_name_check());
  verify->add_flag("--quarantine", p.args.quarantine, "Move mismatching files to .cas-quarantine/");
  cli::add_threads_option(verify, p.args.bulk.threads);
  app.add_subcommand("ls", "List every hash in the store, one per line, sorted");
  CLI::App* trim = app.add_subcommand(
      "trim", "Remove the least recently used content until the store is within every bound");
  cli::add_trim_options(trim, p.args.trim);
  cli::add_bulk_options(trim, p.args.trim);
  CLI::App* stats = app.add_subcommand("stats", "Count files and bytes per layout, and more");
  stats->add_flag("--json", p.args.json, "Print one JSON object instead of text");
  cli::add_threads_option(stats, p.args.bulk.threads);
}

void add_globals(CLI::App& app, Parsed& p) {
  app.add_option("--root", p.global.root, "The store's root directory")
      ->type_name("DIR")
      ->required();
  app.add_option("--layouts", p.global.layouts, "Lookup order of the layouts, the first preferred")
      ->type_name("LIST")
      ->capture_default_str();
  app.add_flag("--read-only", p.global.read_only, "Never change the store");
  app.add_flag("-q,--quiet", p.global.quiet, "No summary line (errors are still printed)");
  app.add_option("--checkpoint", p.checkpoint,
                 "Record finished buckets in FILE; a rerun with the same FILE resumes the job")
      ->type_name("FILE");
  app.add_option("--bucket-split", p.job.split,
                 "Cut each hash-prefix bucket into N parts (1, 2, 4, 8, 16; default: enough "
                 "for 128 buckets per rank)")
      ->type_name("N")
      ->check(CLI::IsMember({1u, 2u, 4u, 8u, 16u}));
  app.add_flag("--stats-per-rank", p.job.stats_per_rank,
               "After the summary, print the buckets, files, bytes and seconds of each rank");
}

// Buckets each rank runs at once (each on one walker thread) when -j is not given: the
// walker's default shared by the ranks on this node, so that a node keeps as many operations
// in flight as one `cas` would. At least 4.
unsigned default_threads() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local = 1;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  return std::max(4u, default_walk_threads() / static_cast<unsigned>(std::max(local, 1)));
}

int ranks_of_job() {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  return ranks;
}

// Parses, builds and runs the job; returns the exit code (the same on every rank).
int run(int argc, char** argv, int rank) {
  CLI::App app("cas's store-wide commands across the ranks of an MPI job", "cas-mpi");
  app.set_version_flag("--version", "cas-mpi " CAS_VERSION);
  app.footer("Exit status: 0 success; 1 the operation failed or was partial; 2 usage error.");
  app.fallthrough();
  app.require_subcommand(1);
  Parsed p;
  add_globals(app, p);
  add_commands(app, p);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (rank != 0) return e.get_exit_code() == 0 ? 0 : cli::kExitUsage;
    if (e.get_exit_code() == 0) return app.exit(e);
    cli::print_error("usage", e.what());
    std::cerr << "Run 'cas-mpi --help' for usage.\n";
    return cli::kExitUsage;
  }
  const std::string command = app.get_subcommands().front()->get_name();
  if (p.args.bulk.threads == 0) p.args.bulk.threads = default_threads();
  if (p.args.trim.threads == 0) p.args.trim.threads = p.args.bulk.threads;
  // Every rank checks the arguments (they see the same files); rank 0 speaks for all.
  int code = 0;
  std::unique_ptr<cli::Context> context;
  Job job;
  TrimOptions trim_with;
  try {
    context = std::make_unique<cli::Context>(p.global);
    if (command == "trim") {
      trim_with = cli::trim_options(p.args.trim);  // the bounds first, as `cas trim`
      context->require_existing_root("trim");
      if (!p.args.trim.dry_run) context->require_writable("trim");
    } else {
      job = make_job(*context, command, p.args);
    }
  } catch (const cli::UsageError& e) {
    if (rank == 0) cli::print_error(e.subject(), e.what());
    code = cli::kExitUsage;
  } catch (const std::exception& e) {
    code = rank == 0 ? cli::report(command, "", e) : cli::exit_code_for(e);
  }
  int verdict = code;
  quiet_bcast(&verdict, 1, MPI_INT);
  if (verdict != 0) return verdict;
  if (code != 0) {
    std::fprintf(stderr,
                 "cas: %s: rank %d cannot set up what rank 0 could (is the store on a "
                 "filesystem every node shares?)\n",
                 command.c_str(), rank);
    MPI_Abort(MPI_COMM_WORLD, cli::kExitFailed);
  }
  if (!p.checkpoint.empty()) {
    // A listing is printed at the end from every bucket's hashes, which a checkpoint does not
    // keep; trim's cutoff is taken from the whole store's scan, which a resumed job would
    // redo on a store already partly trimmed: neither has anything to resume.
    if (command == "ls" || command == "trim") {
      if (rank == 0) cli::print_error("usage", command + ": --checkpoint is not supported");
      return cli::kExitUsage;
    }
    p.job.checkpoint = p.checkpoint;
  }
  p.job.threads = p.args.bulk.threads;
  p.job.root = context->store().root().string();
  if (command == "trim") {
    set_split(p.job.split ? p.job.split : split_for(ranks_of_job()));
    return run_trim_job(*context, trim_with, p.args.trim);
  }
  return run_job(job, p.job);
}

}  // namespace
}  // namespace cas::mpi

int main(int argc, char** argv) {
  // Every wait of cas-mpi is a poll with short sleeps (scheduler.hpp). Open MPI's yield in its
  // progress loop (on by default when oversubscribed) only made each send give the CPU away:
  // ~2.5 ms per MPI_Isend, 0.25-0.35 s of a 1.5 s job on each rank but 0 (whose worker thread
  // calls no MPI), so rank 0 took 1.1-1.35x the others' buckets. A setting of the user's wins.
  ::setenv("OMPI_MCA_mpi_yield_when_idle", "0", 0);
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int code = cas::cli::kExitFailed;
  try {
    code = cas::mpi::run(argc, argv, rank);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cas: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, cas::cli::kExitFailed);
  }
  std::cout.flush();
  cas::mpi::quiet_barrier();  // MPI_Finalize's own wait for the other ranks spins
  MPI_Finalize();
  return code;
}
