// The store-wide commands that change a store: migrate, purge, gc, sync.
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/filesystem/operations.hpp>

#include "bulk_command.hpp"
#include "cas/operations.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "hash_list.hpp"
#include "output.hpp"

namespace cas::cli {
namespace {

namespace fs = boost::filesystem;

// What every bulk command that writes takes.
struct BulkArgs {
  unsigned threads = 0;
  bool dry_run = false;
};

void add_bulk_options(CLI::App* command, BulkArgs& args) {
  add_threads_option(command, args.threads);
  command->add_flag("-n,--dry-run", args.dry_run,
                    "Count what would be done; change nothing (the summary says dry_run=1)");
}

// A dry run changes nothing, so --read-only does not forbid it.
void check_can_run(Context& context, const std::string& command, const BulkArgs& args) {
  context.require_existing_root(command);
  if (!args.dry_run) context.require_writable(command);
}

int run_migrate(Context& context, const BulkArgs& args) {
  check_can_run(context, "migrate", args);
  ProgressBar bar("migrate", context.show_progress());
  MigrateOptions options;
  set_operation_options(options, args.threads, bar);
  options.dry_run = args.dry_run;
  MigrateResult r = migrate(context.store(), options);
  return finish_operation(context, "migrate", bar, r,
                          summary_line("migrate",
                                       {{"moved", r.moved},
                                        {"already_in_place", r.already_in_place},
                                        {"duplicates_removed", r.duplicates_removed},
                                        {"unrecognized", r.unrecognized},
                                        {"directories_removed", r.directories_removed},
                                        {"failed", r.failed}},
                                       args.dry_run));
}

int run_purge(Context& context, const BulkArgs& args) {
  check_can_run(context, "purge", args);
  ProgressBar bar("purge", context.show_progress());
  OperationOptions options;
  set_operation_options(options, args.threads, bar);
  options.dry_run = args.dry_run;
  PurgeResult r = purge(context.store(), options);
  return finish_operation(context, "purge", bar, r,
                          summary_line("purge",
                                       {{"files_removed", r.files_removed},
                                        {"directories_removed", r.directories_removed},
                                        {"failed", r.failed}},
                                       args.dry_run));
}

struct GcArgs : BulkArgs {
  std::vector<std::string> keep_files;
};

int run_gc(Context& context, const GcArgs& args) {
  check_can_run(context, "gc", args);
  // The whole list is read and checked before anything is removed.
  std::unordered_set<std::string> keep;
  for (const auto& file : args.keep_files) read_hash_list_file(file, keep);
  ProgressBar bar("gc", context.show_progress());
  OperationOptions options;
  set_operation_options(options, args.threads, bar);
  options.dry_run = args.dry_run;
  GcResult r = gc(context.store(), keep, options);
  return finish_operation(context, "gc", bar, r,
                          summary_line("gc",
                                       {{"kept", r.kept},
                                        {"removed", r.removed},
                                        {"unrecognized", r.unrecognized},
                                        {"directories_removed", r.directories_removed},
                                        {"failed", r.failed}},
                                       args.dry_run));
}

struct SyncArgs : BulkArgs {
  std::string from;
  bool delete_extras = false;
};

int run_sync(Context& context, const SyncArgs& args) {
  if (!args.dry_run) context.require_writable("sync");
  boost::system::error_code ec;
  if (!fs::is_directory(args.from, ec)) {
    throw UsageError("sync --from", args.from + ": no such directory");
  }
  const fs::path& root = context.store().root();
  if (fs::exists(root, ec) && fs::equivalent(args.from, root, ec)) {
    throw UsageError("sync --from", args.from + ": is the store itself");
  }
  // A new mirror starts from nothing: its root is created, as put would create it.
  if (!args.dry_run) fs::create_directories(root);
  std::unique_ptr<Store> source = context.open_source(args.from);
  ProgressBar bar("sync", context.show_progress());
  SyncOptions options;
  set_operation_options(options, args.threads, bar);
  options.dry_run = args.dry_run;
  options.delete_extras = args.delete_extras;
  SyncResult r = sync(context.store(), *source, options);
  return finish_operation(context, "sync", bar, r,
                          summary_line("sync",
                                       {{"linked", r.linked},
                                        {"copied", r.copied},
                                        {"already_present", r.already_present},
                                        {"deleted", r.deleted},
                                        {"bytes", r.bytes},
                                        {"failed", r.failed}},
                                       args.dry_run));
}

}  // namespace

void add_maintenance_commands(CommandRegistry& registry) {
  auto migrate_args = std::make_shared<BulkArgs>();
  CLI::App* command = registry.add(
      "migrate",
      "Move every file stored under a non-preferred layout to the preferred one, in parallel, "
      "removing the emptied directories (safe while the store is in use; resumable)",
      "0 done (unrecognized files are left alone and counted); 1 a file could not be moved; "
      "2 usage error, or the root does not exist.",
      [migrate_args](Context& context) { return run_migrate(context, *migrate_args); });
  add_bulk_options(command, *migrate_args);

  auto purge_args = std::make_shared<BulkArgs>();
  command = registry.add(
      "purge",
      "Remove everything under the root, keeping the root itself (never follows a symlink or "
      "crosses into another filesystem)",
      "0 done; 1 something could not be removed; 2 usage error, or the root does not exist.",
      [purge_args](Context& context) { return run_purge(context, *purge_args); });
  add_bulk_options(command, *purge_args);

  auto gc_args = std::make_shared<GcArgs>();
  command = registry.add(
      "gc", "Remove every hash not listed in the --keep files (trim the store to a manifest)",
      "0 done; 1 a file could not be removed; 2 usage error (a bad line in a list, an "
      "unreadable list), or the root does not exist.",
      [gc_args](Context& context) { return run_gc(context, *gc_args); });
  command
      ->add_option("--keep", gc_args->keep_files,
                   "A list of hashes to keep, one per line ('-': stdin; '# comments' and blank "
                   "lines ignored; '<hash>  <file>' lines as put and sha256sum print them "
                   "accepted); may be repeated")
      ->type_name("FILE")
      ->allow_extra_args(false)
      ->required();
  add_bulk_options(command, *gc_args);

  auto sync_args = std::make_shared<SyncArgs>();
  command = registry.add(
      "sync",
      "Make this store hold every hash of the store at --from (hard links on one filesystem, "
      "else copies); the source is only read",
      "0 done; 1 a file could not be linked, copied or deleted; 2 usage error, or --from is "
      "not a directory.",
      [sync_args](Context& context) { return run_sync(context, *sync_args); });
  command->add_option("--from", sync_args->from, "The source store's root")
      ->type_name("DIR")
      ->required();
  command->add_flag("--delete", sync_args->delete_extras,
                    "Also remove hashes that the source does not hold");
  add_bulk_options(command, *sync_args);
}

}  // namespace cas::cli
