// verify and stats as cas-mpi jobs, and what every job's end shares.
#include <algorithm>
#include <ctime>
#include <iostream>
#include <memory>

#include <boost/filesystem/operations.hpp>

#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "diagnostics.hpp"
#include "jobs.hpp"
#include "ops/stats_merge.hpp"
#include "output.hpp"

namespace cas::mpi {
namespace {

using cli::Context;

const std::vector<std::string> kVerifyNames = {
    "ok",           "corrupt",     "quarantined", "unknown_algorithm",
    "unrecognized", "temp_reaped", "bytes",       "failed"};

std::vector<std::string> layout_order(Context& context) {
  std::vector<std::string> order;
  for (const auto& layout : context.store().layouts()) order.emplace_back(layout->name());
  return order;
}

// StoreStats as counts: per layout (lookup order) files and bytes, the store's counts, the last
// uses, the histogram's width and then its cells as (start, files) pairs. Signed values travel
// as their two's complement.
constexpr std::size_t kStoreFields = 14;

std::vector<std::uint64_t> stats_counts(const StoreStats& s,
                                        const std::vector<std::string>& order) {
  std::vector<std::uint64_t> c;
  for (const auto& name : order) {
    auto it = s.layouts.find(name);
    c.push_back(it == s.layouts.end() ? 0 : it->second.files);
    c.push_back(it == s.layouts.end() ? 0 : it->second.bytes);
  }
  const detail::LastUses uses = s.last_uses ? *s.last_uses : detail::LastUses{};
  const std::uint64_t store[kStoreFields] = {s.hashes,
                                             s.unrecognized_files,
                                             s.unrecognized_bytes,
                                             s.directories,
                                             s.empty_directories,
                                             s.temp_files,
                                             s.temp_bytes,
                                             s.quarantined_files,
                                             s.failed,
                                             s.pinned_hashes,
                                             static_cast<std::uint64_t>(s.oldest_use),
                                             static_cast<std::uint64_t>(s.newest_use),
                                             static_cast<std::uint64_t>(uses.width),
                                             uses.files.size()};
  c.insert(c.end(), store, store + kStoreFields);
  for (const auto& [start, files] : uses.files) {
    c.push_back(static_cast<std::uint64_t>(start));
    c.push_back(files);
  }
  return c;
}

// The inverse of stats_counts (errors from the tally); empty counts are an empty store.
StoreStats stats_of(const Tally& t, const std::vector<std::string>& order) {
  StoreStats s;
  const auto& c = t.counts;
  if (c.size() < 2 * order.size() + kStoreFields) return s;
  std::size_t i = 0;
  for (const auto& name : order) {
    s.layouts[name].files = c[i++];
    s.layouts[name].bytes = c[i++];
  }
  for (std::uint64_t* field : {&s.hashes, &s.unrecognized_files, &s.unrecognized_bytes,
                               &s.directories, &s.empty_directories, &s.temp_files, &s.temp_bytes,
                               &s.quarantined_files, &s.failed, &s.pinned_hashes}) {
    *field = c[i++];
  }
  s.oldest_use = static_cast<std::int64_t>(c[i++]);
  s.newest_use = static_cast<std::int64_t>(c[i++]);
  detail::LastUses uses;
  uses.width = static_cast<std::int64_t>(c[i++]);
  const std::uint64_t cells = c[i++];
  for (std::uint64_t k = 0; k < cells && i + 1 < c.size(); ++k, i += 2) {
    uses.files[static_cast<std::int64_t>(c[i])] = c[i + 1];
  }
  s.last_uses = std::make_shared<const detail::LastUses>(std::move(uses));
  s.errors = t.errors;
  return s;
}

}  // namespace

Job make_verify_job(Context& context, const CommandArgs& args) {
  context.require_existing_root("verify");
  if (args.quarantine) context.require_writable("verify --quarantine");
  VerifyOptions base;
  if (!args.algorithm.empty()) base.algorithm = parse_hash_algorithm(args.algorithm);
  base.quarantine = args.quarantine;
  if (context.options().read_only) base.reap_temp_older_than = std::chrono::seconds(0);
  Job job;
  job.command = "verify";
  job.identity = identity(context, "verify",
                          (args.quarantine ? " quarantine" : "") +
                              (args.algorithm.empty() ? "" : " algo=" + args.algorithm));
  job.balance_by_bytes = true;
  job.run = [&context, base](std::size_t bucket) {
    Tally t;
    VerifyOptions o = base;
    prepare(o, false, bucket, t);
    const VerifyResult r = verify(context.store(), o);
    t.counts = {r.ok,           r.corrupt,     r.quarantined, r.unknown_algorithm,
                r.unrecognized, r.temp_reaped, r.bytes,       r.failed};
    t.errors = r.errors;
    t.notes = r.corrupt_paths;
    return t;
  };
  job.finish = [&context, quarantine = args.quarantine](const Tally& total) {
    std::vector<std::string> corrupt = total.notes;
    std::sort(corrupt.begin(), corrupt.end());
    const char* why = quarantine ? "content does not match its name (quarantined)"
                                 : "content does not match its name";
    for (const auto& path : corrupt) cli::print_error("verify " + path, why);
    const bool mismatch = total.counts.size() > 1 && total.counts[1] > 0;
    return finish_counts(context, "verify", kVerifyNames, total, false, mismatch);
  };
  return job;
}

Job make_stats_job(Context& context, const CommandArgs& args) {
  context.require_existing_root("stats");
  Job job;
  job.command = "stats";
  job.identity = identity(context, "stats", "");
  job.run = [&context](std::size_t bucket) {
    Tally t;
    OperationOptions o;
    prepare(o, false, bucket, t);
    const StoreStats s = stats(context.store(), o);
    t.counts = stats_counts(s, layout_order(context));
    t.errors = s.errors;
    return t;
  };
  job.fold = [&context](Tally& total, const Tally& part) {
    const auto order = layout_order(context);
    StoreStats merged = stats_of(total, order);
    detail::merge_stats(merged, stats_of(part, order));
    total.counts = stats_counts(merged, order);
    total.errors = merged.errors;
  };
  job.finish = [&context, json = args.json](const Tally& total) {
    const auto order = layout_order(context);
    // Merged into nothing, so that the median is read from the histogram (it is not a count).
    StoreStats s;
    detail::merge_stats(s, stats_of(total, order));
    std::cout << (json ? cli::format_stats_json(s, context.store().root().string(), order)
                       : cli::format_stats_text(s, order, std::time(nullptr)));
    cli::print_operation_errors("stats", s);
    return s.failed > 0 ? cli::kExitFailed : cli::kExitOk;
  };
  return job;
}

Job make_job(Context& context, const std::string& command, const CommandArgs& args) {
  if (command == "verify") return make_verify_job(context, args);
  if (command == "stats") return make_stats_job(context, args);
  if (command == "ls") return make_list_job(context, args);
  return make_maintenance_job(context, command, args);
}

int finish_counts(const Context& context, const std::string& command,
                  const std::vector<std::string>& names, const Tally& total, bool dry_run,
                  bool partial) {
  cli::Counts counts;
  OperationErrors errors;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::uint64_t v = i < total.counts.size() ? total.counts[i] : 0;
    counts.emplace_back(names[i], v);
    if (names[i] == "failed") errors.failed = v;
  }
  errors.errors = total.errors;
  cli::print_operation_errors(command, errors);
  if (!context.quiet()) std::cout << cli::summary_line(command, counts, dry_run) << '\n';
  return errors.failed > 0 || partial ? cli::kExitFailed : cli::kExitOk;
}

std::string identity(const Context& context, const std::string& command,
                     const std::string& options) {
  const auto root = boost::filesystem::absolute(context.options().root);
  return command + " root=" + root.string() + " layouts=" + context.options().layouts + options;
}

}  // namespace cas::mpi
