// The store-wide commands that change a store: migrate, purge, gc, trim, sync.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/filesystem/operations.hpp>

#include "bulk_command.hpp"
#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "hash_list.hpp"
#include "output.hpp"
#include "trim_args.hpp"
#include "units.hpp"

namespace cas::cli {
namespace {

namespace fs = boost::filesystem;

// A dry run changes nothing, so --read-only does not forbid it.
void check_can_run(Context& context, const std::string& command, const BulkArgs& args) {
  if (!args.dry_run) context.require_writable(command);
}

int run_migrate(Context& context, const BulkArgs& args) {
  check_can_run(context, "migrate", args);
  return run_bulk(context, "migrate", args, MigrateOptions(), migrate,
                  [](const MigrateResult& r) -> BulkSummary {
                    return Counts{{"moved", r.moved},
                                  {"already_in_place", r.already_in_place},
                                  {"duplicates_removed", r.duplicates_removed},
                                  {"unrecognized", r.unrecognized},
                                  {"directories_removed", r.directories_removed},
                                  {"failed", r.failed}};
                  });
}

struct PurgeArgs : BulkArgs {
  bool all = false;
};

int run_purge(Context& context, const PurgeArgs& args) {
  check_can_run(context, "purge", args);
  PurgeOptions options;
  options.remove_unrecognized = args.all;
  return run_bulk(context, "purge", args, options, purge, [](const PurgeResult& r) -> BulkSummary {
    return Counts{{"files_removed", r.files_removed},
                  {"unrecognized", r.unrecognized},
                  {"directories_removed", r.directories_removed},
                  {"failed", r.failed}};
  });
}

struct GcArgs : BulkArgs {
  std::vector<std::string> keep_files;
  bool allow_empty_keep = false;
};

int run_gc(Context& context, const GcArgs& args) {
  check_can_run(context, "gc", args);
  // The whole list is read and checked before anything is removed.
  std::unordered_set<std::string> keep;
  read_keep_lists("gc", args.keep_files, args.allow_empty_keep, keep);
  return run_bulk(
      context, "gc", args, OperationOptions(),
      [&keep](Store& store, const OperationOptions& options) { return gc(store, keep, options); },
      [](const GcResult& r) -> BulkSummary {
        return Counts{{"kept", r.kept},
                      {"removed", r.removed},
                      {"unrecognized", r.unrecognized},
                      {"directories_removed", r.directories_removed},
                      {"failed", r.failed}};
      });
}

int run_trim(Context& context, const TrimArgs& args) {
  const TrimOptions trim_with = trim_options(args);
  check_can_run(context, "trim", args);
  return run_bulk(
      context, "trim", args, trim_with,
      [](Store& store, TrimOptions options) {
        // trim reports its two or three walks as one count; counting first would give a total
        // for the scan only, so the bar shows counts and rates without a total instead.
        options.count_first = false;
        return trim(store, options);
      },
      [](const TrimResult& r) -> BulkSummary {
        return Counts{{"scanned", r.scanned_files},
                      {"removed", r.removed_files},
                      {"bytes_removed", r.removed_bytes},
                      {"pinned", r.pinned},
                      {"recently_used", r.recently_used},
                      {"unrecognized", r.unrecognized},
                      {"directories_removed", r.directories_removed},
                      {"failed", r.failed}};
      });
}

struct SyncArgs : BulkArgs {
  std::string from;
  bool delete_extras = false;
};

int run_sync(Context& context, const SyncArgs& args) {
  if (!args.dry_run) context.require_writable("sync");
  boost::system::error_code ec;
  const fs::file_status from = fs::status(args.from, ec);
  if (from.type() == fs::file_not_found) {
    throw UsageError("sync --from", args.from + ": no such directory");
  }
  if (ec) throw UsageError("sync --from", args.from + ": " + ec.message());
  if (from.type() != fs::directory_file) {
    throw UsageError("sync --from", args.from + ": not a directory");
  }
  const fs::path& root = context.store().root();
  if (fs::exists(root, ec) && fs::equivalent(args.from, root, ec)) {
    throw UsageError("sync --from", args.from + ": is the store itself");
  }
  // A new mirror starts from nothing: its root is created, as put would create it (main has
  // checked that it is a directory if it exists).
  if (!args.dry_run) {
    fs::create_directories(root, ec);
    if (ec) throw IoError(ec.value(), "mkdir", root.string());
  }
  std::unique_ptr<Store> source = context.open_source(args.from);
  SyncOptions sync_options;
  sync_options.delete_extras = args.delete_extras;
  return run_bulk(
      context, "sync", args, sync_options,
      [&source](Store& store, const SyncOptions& options) { return sync(store, *source, options); },
      [](const SyncResult& r) -> BulkSummary {
        return Counts{{"linked", r.linked},
                      {"copied", r.copied},
                      {"already_present", r.already_present},
                      {"deleted", r.deleted},
                      {"unrecognized", r.unrecognized},
                      {"bytes", r.bytes},
                      {"failed", r.failed}};
      });
}

}  // namespace

void add_maintenance_commands(CommandRegistry& registry) {
  auto [migrate_command, migrate_args] = registry.add(
      "migrate",
      "Move every file stored under a non-preferred layout to the preferred one, in parallel, "
      "removing the emptied directories (safe while the store is in use; resumable)",
      "0 done (unrecognized files are left alone and counted); 1 a file could not be moved; "
      "2 usage error, or the root does not exist.",
      RootUse::existing, run_migrate);
  add_bulk_options(migrate_command, *migrate_args);

  auto [purge_command, purge_args] = registry.add(
      "purge",
      "Remove all content (files named by their hash, and quarantined files), keeping the "
      "root, the pins, writers' temp files and every file no layout recognizes, with its "
      "directories (never follows a symlink or crosses into another filesystem)",
      "0 done (unrecognized files are left alone and counted); 1 something could not be "
      "removed; 2 usage error, or the root does not exist.",
      RootUse::existing, run_purge);
  purge_command->add_flag("--all", purge_args->all,
                          "Also remove every file no layout recognizes, and its directories: "
                          "everything under the root but the root, temps and pins (rm -rf)");
  add_bulk_options(purge_command, *purge_args);

  auto [gc_command, gc_args] = registry.add(
      "gc", "Remove every hash not listed in the --keep files (trim the store to a manifest)",
      "0 done; 1 a file could not be removed; 2 usage error (a bad line in a list, an "
      "unreadable list, a list without a hash unless --allow-empty-keep), or the root does not "
      "exist.",
      RootUse::existing, run_gc);
  gc_command
      ->add_option("--keep", gc_args->keep_files,
                   "A list of hashes to keep, one per line ('-': stdin; '# comments' and blank "
                   "lines ignored; '<hash>  <file>' lines as put and sha256sum print them "
                   "accepted); may be repeated")
      ->type_name("FILE")
      ->allow_extra_args(false)
      ->required();
  gc_command->add_flag("--allow-empty-keep", gc_args->allow_empty_keep,
                       "Run even when a --keep list holds no hash (without it gc refuses: an "
                       "empty list is more often a failed step than a wish to remove everything)");
  add_bulk_options(gc_command, *gc_args);

  auto [trim_command, trim_args] = registry.add(
      "trim",
      "Remove the least recently used content (oldest mtime first; lookups refresh it) until the "
      "store is within every bound given, down to the low-water mark; pinned hashes stay",
      "0 done; 1 a file could not be removed; 2 usage error (no bound, a bad SIZE, N, AGE or "
      "PERCENT), or the root does not exist.",
      RootUse::existing, run_trim);
  add_trim_options(trim_command, *trim_args);
  add_bulk_options(trim_command, *trim_args);

  auto [sync_command, sync_args] = registry.add(
      "sync",
      "Make this store hold every hash of the store at --from (hard links on one filesystem, "
      "else copies); the source is only read",
      "0 done; 1 a file could not be linked, copied or deleted; 2 usage error, --from is "
      "missing, not a directory or the store itself, or the root is not a directory.",
      RootUse::created, run_sync);
  sync_command->add_option("--from", sync_args->from, "The source store's root")
      ->type_name("DIR")
      ->required();
  sync_command->add_flag("--delete", sync_args->delete_extras,
                         "Also remove hashes that the source does not hold");
  add_bulk_options(sync_command, *sync_args);
}

}  // namespace cas::cli
