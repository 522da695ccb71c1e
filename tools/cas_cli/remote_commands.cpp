// The commands of the remote tier: push (upload what the remote lacks) and pull (fetch listed
// hashes). Both need --remote; the transfers are cas::push and cas::pull, with -j requests in
// flight (per server, when --remote names several).
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/sharded_remote.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"
#include "hash_list.hpp"
#include "output.hpp"

namespace cas::cli {
namespace {

struct PushArgs {
  unsigned jobs = 0;  // 0: the remote's default (HttpRemoteOptions::max_in_flight)
  bool dry_run = false;
  bool always_ask = false;
};

struct PullArgs {
  unsigned jobs = 0;
  std::vector<std::string> hashes;
  std::vector<std::string> keep_files;
};

// With several servers, names each one whose requests failed or came back corrupt, with its
// counts: a server that is down shows as the one whose share failed.
void report_shards(const std::string& command, const Remote& remote) {
  const auto* sharded = dynamic_cast<const ShardedRemote*>(&remote);
  if (!sharded) return;
  for (const RemoteShardStats& s : sharded->stats()) {
    if (s.failed + s.corrupt == 0) continue;
    const std::uint64_t requests = s.present + s.absent + s.corrupt + s.failed;
    print_message(command, "server " + s.name + ": failed=" + std::to_string(s.failed) +
                               " corrupt=" + std::to_string(s.corrupt) + " of " +
                               std::to_string(requests) + " requests");
  }
}

// Prints the summary (unless --quiet) and returns the exit code: 1 when `failed`.
int finish(Context& context, const std::string& summary, bool failed) {
  if (!context.quiet()) std::cout << summary << '\n';
  return failed ? kExitFailed : kExitOk;
}

int run_push(Context& context, const PushArgs& args) {
  auto remote = context.remote("push", args.jobs);
  PushOptions options;
  options.dry_run = args.dry_run;
  if (args.always_ask) options.ask = PushAsk::always;
  options.on_error = [](const std::string& why) { print_message("push", why); };
  const PushResult r = push(context.store(), *remote, options);
  report_shards("push", *remote);
  const std::string summary = summary_line("push",
                                           {{"checked", r.checked},
                                            {"uploaded", r.uploaded},
                                            {"already_present", r.already_present},
                                            {"bytes", r.bytes},
                                            {"failed", r.failed}},
                                           args.dry_run);
  return finish(context, summary, r.failed > 0);
}

int run_pull(Context& context, const PullArgs& args) {
  context.require_writable("pull");
  auto remote = context.remote("pull", args.jobs);
  if (args.hashes.empty() && args.keep_files.empty()) {
    throw UsageError("pull", "give the hashes to fetch, or --keep FILE");
  }
  // Every hash is checked before the first request: a usage error fetches nothing (the lists'
  // lines are checked as they are read).
  std::vector<std::string> hashes = args.hashes;
  std::unordered_set<std::string> listed;
  for (const auto& file : args.keep_files) read_hash_list_file(file, listed);
  hashes.insert(hashes.end(), listed.begin(), listed.end());
  for (const auto& hash : args.hashes) require_full_hash("pull", hash);
  PullOptions options;
  // One syncfs at the end instead of an fsync per object; the command returns once it is done.
  options.durability = Durability::batch;
  options.on_error = [](const std::string& why) { print_message("pull", why); };
  const PullResult r = pull(context.store(), *remote, hashes, options);
  report_shards("pull", *remote);
  const std::string summary = summary_line("pull", {{"fetched", r.fetched},
                                                    {"already_present", r.already_present},
                                                    {"missing", r.missing},
                                                    {"corrupt", r.corrupt},
                                                    {"bytes", r.bytes},
                                                    {"failed", r.failed}});
  return finish(context, summary, r.missing + r.corrupt + r.failed > 0);
}

}  // namespace

// -j means what it means for the bulk commands, how many operations at once; here they are
// HTTP requests (transfers), so the long name is --jobs, not --threads (no thread per request).
void add_jobs_option(CLI::App* command, unsigned& jobs) {
  command
      ->add_option("-j,--jobs", jobs,
                   "Transfers (HTTP requests) in flight at once, per server (0: the default, 16)")
      ->type_name("N")
      ->check(CLI::Range(0u, 1024u).description(""));
}

void add_remote_commands(CommandRegistry& registry) {
  auto [push_command, push_args] = registry.add(
      "push",
      "Upload every hash of the store that the --remote does not have (asked with many "
      "requests in flight); prints 'push: checked=N uploaded=N already_present=N bytes=N "
      "failed=N'. While most of what is asked about is new, files up to 64 KiB are sent "
      "without asking first (one request instead of two); uploaded= counts them even where "
      "the remote had them",
      "0 done; 1 a request failed; 2 usage error (no --remote, a bad URL), or the root does not "
      "exist.",
      RootUse::existing, run_push);
  add_jobs_option(push_command, push_args->jobs);
  push_command->add_flag("-n,--dry-run", push_args->dry_run,
                         "Only ask: count what would be uploaded");
  push_command->add_flag("--always-ask", push_args->always_ask,
                         "Ask about every hash (HEAD) before uploading it: never send a file "
                         "the remote has (for metered or slow uplinks)");

  auto [pull_command, pull_args] = registry.add(
      "pull",
      "Fetch the listed hashes the store does not have from the --remote, each verified "
      "before it is stored; prints 'pull: fetched=N already_present=N missing=N corrupt=N "
      "bytes=N failed=N'",
      "0 every hash is in the store; 1 a hash is missing on the remote, corrupt or failed; 2 "
      "usage error (no --remote, a bad URL, a hash that is not a full digest, an unreadable "
      "list).",
      RootUse::created, run_pull);
  add_jobs_option(pull_command, pull_args->jobs);
  pull_command->add_option("HASH", pull_args->hashes,
                           "Hashes to fetch: full sha1, sha256 or sha512 digests");
  pull_command
      ->add_option("--keep", pull_args->keep_files,
                   "A list of hashes to fetch, as gc --keep reads it ('-': stdin); may be repeated")
      ->type_name("FILE")
      ->allow_extra_args(false);
}

}  // namespace cas::cli
