// cas fetch: fill the store from origin URLs by hash (cas::fetch, cas::fetch_many) — one hash
// and its URLs, or a list of them with -j transfers in flight. Every hash and URL is checked
// before the first request: a bad one is a usage error that fetches nothing.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "cas/errors.hpp"
#include "cas/fetch.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"
#include "output.hpp"
#include "progress_bar.hpp"
#include "units.hpp"

namespace cas::cli {
namespace {

struct FetchArgs {
  std::vector<std::string> words;  // HASH URL [URL...]
  std::string list;                // --list FILE
  unsigned jobs = 0;
  std::string ca;
  std::string header;
  std::string size;
  std::string max_size;
};

std::optional<std::uint64_t> size_option(const std::string& name, const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return parse_size(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(name, e.what());
  }
}

FetchOptions fetch_options(const FetchArgs& args) {
  FetchOptions o;
  if (!args.ca.empty()) o.http.ca_file = boost::filesystem::path(args.ca);
  if (!args.header.empty()) o.http.header = args.header;
  // As curl -n: ~/.netrc credentials for the host, when there is one.
  const char* home = std::getenv("HOME");
  o.http.use_netrc = home && ::access((std::string(home) + "/.netrc").c_str(), R_OK) == 0;
  if (args.jobs > 0) o.http.max_in_flight = args.jobs;
  o.size = size_option("--size", args.size);
  o.max_bytes = size_option("--max-size", args.max_size);
  return o;
}

// A request as the command line or a list line gives it; `where` names it in a usage error.
FetchRequest request_of(const std::vector<std::string>& words, const std::string& where) {
  if (words.size() < 2) throw UsageError(where, "give a HASH and at least one URL");
  require_full_hash(where, words[0]);
  FetchRequest r{words[0], {words.begin() + 1, words.end()}, std::nullopt};
  for (const auto& url : r.urls) {
    try {
      validate_fetch_url(url);
    } catch (const InvalidArgumentError& e) {
      throw UsageError(where, e.what());
    }
  }
  return r;
}

// The lines `HASH URL [URL...]` of `path` ('-': stdin); blank lines and '#' comments skipped.
std::vector<FetchRequest> read_list(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) throw UsageError("fetch --list", path + ": cannot be read");
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<FetchRequest> requests;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    std::istringstream words_of(line);
    std::vector<std::string> words;
    for (std::string w; words_of >> w;) words.push_back(w);
    if (words.empty() || words[0].starts_with('#')) continue;
    requests.push_back(request_of(words, path + ":" + std::to_string(n)));
  }
  if (in.bad()) throw UsageError("fetch --list", path + ": read error");
  return requests;
}

int run_list(Context& context, const FetchArgs& args, FetchOptions options) {
  const std::vector<FetchRequest> requests = read_list(args.list);
  ProgressBar bar("fetch", context.show_progress());
  options.batch_progress = bar.callback();
  // One syncfs at the end instead of an fsync per file, as pull; the command returns once it is
  // done.
  options.durability = Durability::batch;
  const FetchResult r = fetch_many(context.store(), requests, options);
  bar.finish();
  print_operation_errors("fetch", r);
  if (!context.quiet()) {
    std::cout << summary_line("fetch", {{"fetched", r.fetched},
                                        {"already_present", r.already_present},
                                        {"failed", r.failed},
                                        {"bytes", r.bytes}})
              << '\n';
  }
  return r.failed > 0 ? kExitFailed : kExitOk;
}

int run_fetch(Context& context, const FetchArgs& args) {
  context.require_writable("fetch");
  FetchOptions options = fetch_options(args);
  if (!args.list.empty()) {
    if (!args.words.empty()) throw UsageError("fetch", "give HASH URL... or --list FILE, not both");
    return run_list(context, args, options);
  }
  if (args.jobs > 0) throw UsageError("fetch", "-j goes with --list");
  const FetchRequest r = request_of(args.words, "fetch");
  try {
    std::cout << fetch(context.store(), r.hash, r.urls, options).string() << '\n';
  } catch (const FetchError& e) {
    print_message("fetch", e.what());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void add_fetch_commands(CommandRegistry& registry) {
  auto [command, args] = registry.add(
      "fetch",
      "Fetch HASH from the first of its URLs (http, https, file) that gives the content that "
      "hashes to it (the --remote first, when given), and print its path; or every 'HASH URL "
      "[URL...]' line of --list FILE, printing 'fetch: fetched=N already_present=N failed=N "
      "bytes=N'",
      "0 done (every hash is in the store); 1 no source gave the right content (for some line of "
      "the list); 2 usage error (a bad hash or URL, an unreadable list: nothing is fetched).",
      RootUse::created, run_fetch);
  command->add_option("HASH URL", args->words, "A full sha1, sha256 or sha512 digest, then URLs");
  command->add_option("--list", args->list, "Lines 'HASH URL [URL...]' ('-': stdin)")
      ->type_name("FILE");
  add_jobs_option(command, args->jobs);  // with --list
  command->add_option("--ca", args->ca, "The CA certificate (PEM) to trust for https")
      ->type_name("FILE");
  command
      ->add_option("--header", args->header,
                   "A header sent with every request, e.g. 'Authorization: Bearer TOKEN'")
      ->type_name("HEADER")
      ->envname("CAS_FETCH_HEADER");
  command->add_option("--size", args->size, "The expected size (a SIZE, as trim's)")
      ->type_name("SIZE");
  command->add_option("--max-size", args->max_size, "Refuse bodies longer than SIZE")
      ->type_name("SIZE");
}

}  // namespace cas::cli
