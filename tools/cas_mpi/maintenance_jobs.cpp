// migrate, purge, gc and sync as cas-mpi jobs.
#include <boost/filesystem/operations.hpp>
#include <memory>
#include <unordered_set>

#include "buckets.hpp"
#include "cas/operations.hpp"
#include "diagnostics.hpp"
#include "hash_list.hpp"
#include "jobs.hpp"
#include "output.hpp"

namespace cas::mpi {
namespace {

namespace fs = boost::filesystem;
using cli::Context;
using cli::UsageError;

// A dry run changes nothing, so --read-only does not forbid it (as `cas`).
void check_can_run(Context& context, const std::string& command, const cli::BulkArgs& args) {
  context.require_existing_root(command);
  if (!args.dry_run) context.require_writable(command);
}

// The Job of a command whose bucket result is `counts(result)`, named by `names`.
template <typename Run>
Job counting_job(Context& context, const std::string& command, std::vector<std::string> names,
                 const cli::BulkArgs& args, const std::string& options, Run run) {
  Job job;
  job.command = command;
  job.identity = identity(context, command, options + (args.dry_run ? " dry_run" : ""));
  job.run = [&context, args, run](std::size_t bucket) {
    Tally t;
    run(context.store(), args, bucket, t);
    return t;
  };
  job.finish = [&context, command, names, dry_run = args.dry_run](const Tally& total) {
    return finish_counts(context, command, names, total, dry_run);
  };
  return job;
}

// The parts every bucket's result shares: the errors and the failed count.
void take(Tally& t, std::vector<std::uint64_t> counts, const OperationErrors& errors) {
  t.counts = std::move(counts);
  t.errors = errors.errors;
}

Job migrate_job(Context& context, const cli::BulkArgs& args) {
  check_can_run(context, "migrate", args);
  return counting_job(context, "migrate",
                      {"moved", "already_in_place", "duplicates_removed", "unrecognized",
                       "directories_removed", "failed"},
                      args, "",
                      [](Store& store, const cli::BulkArgs& a, std::size_t bucket, Tally& t) {
                        MigrateOptions o;
                        prepare(o, a.dry_run, bucket, t);
                        const MigrateResult r = migrate(store, o);
                        take(t,
                             {r.moved, r.already_in_place, r.duplicates_removed, r.unrecognized,
                              r.directories_removed, r.failed},
                             r);
                      });
}

Job purge_job(Context& context, const cli::BulkArgs& args) {
  check_can_run(context, "purge", args);
  return counting_job(
      context, "purge", {"files_removed", "unrecognized", "directories_removed", "failed"}, args,
      "", [](Store& store, const cli::BulkArgs& a, std::size_t bucket, Tally& t) {
        PurgeOptions o;
        prepare(o, a.dry_run, bucket, t);
        const PurgeResult r = purge(store, o);
        take(t, {r.files_removed, r.unrecognized, r.directories_removed, r.failed}, r);
      });
}

Job gc_job(Context& context, const CommandArgs& args) {
  check_can_run(context, "gc", args.bulk);
  std::string files;
  auto keep = std::make_shared<std::unordered_set<std::string>>();
  for (const auto& file : args.keep_files) {
    // Every rank reads the lists; mpirun gives stdin to rank 0 only.
    if (file == "-")
      throw UsageError("gc --keep", "cas-mpi reads the lists on every rank: give a file, not '-'");
    // As cas gc: a list without a hash is refused unless --allow-empty-keep.
    cli::read_keep_lists("gc", {file}, args.allow_empty_keep, *keep);
    files += " keep=" + fs::absolute(file).string();
  }
  return counting_job(
      context, "gc", {"kept", "removed", "unrecognized", "directories_removed", "failed"},
      args.bulk, files, [keep](Store& store, const cli::BulkArgs& a, std::size_t bucket, Tally& t) {
        OperationOptions o;
        prepare(o, a.dry_run, bucket, t);
        const GcResult r = gc(store, *keep, o);
        take(t, {r.kept, r.removed, r.unrecognized, r.directories_removed, r.failed}, r);
      });
}

Job sync_job(Context& context, const CommandArgs& args) {
  if (!args.bulk.dry_run) context.require_writable("sync");
  boost::system::error_code ec;
  if (!fs::is_directory(args.from, ec)) {
    throw UsageError("sync --from", args.from + ": no such directory");
  }
  const fs::path& root = context.store().root();
  if (fs::exists(root, ec) && fs::equivalent(args.from, root, ec)) {
    throw UsageError("sync --from", args.from + ": is the store itself");
  }
  if (!args.bulk.dry_run) fs::create_directories(root);
  std::shared_ptr<Store> source = context.open_source(args.from);
  const std::string options =
      " from=" + fs::absolute(args.from).string() + (args.delete_extras ? " delete" : "");
  return counting_job(
      context, "sync",
      {"linked", "copied", "already_present", "deleted", "unrecognized", "bytes", "failed"},
      args.bulk, options,
      [source, del = args.delete_extras](Store& store, const cli::BulkArgs& a, std::size_t bucket,
                                         Tally& t) {
        SyncOptions o;
        o.delete_extras = del;
        prepare(o, a.dry_run, bucket, t);
        const SyncResult r = sync(store, *source, o);
        take(t,
             {r.linked, r.copied, r.already_present, r.deleted, r.unrecognized, r.bytes, r.failed},
             r);
      });
}

}  // namespace

Job make_maintenance_job(Context& context, const std::string& command, const CommandArgs& args) {
  if (command == "migrate") return migrate_job(context, args.bulk);
  if (command == "purge") return purge_job(context, args.bulk);
  if (command == "gc") return gc_job(context, args);
  if (command == "sync") return sync_job(context, args);
  throw UsageError("usage", "unknown command '" + command + "'");
}

}  // namespace cas::mpi
