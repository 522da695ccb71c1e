// ls as a cas-mpi job: each bucket lists its hashes (cas::list), rank 0 prints them all in the
// order `cas ls` does (sorted; a hash under two layouts once), then the unrecognized files.
#include <algorithm>
#include <iostream>

#include "cas/operations.hpp"
#include "diagnostics.hpp"
#include "jobs.hpp"

namespace cas::mpi {
namespace {

using cli::Context;

// A bucket's listing travels in Tally::notes, each entry marked by its first byte: a hash, or
// the root-relative path of an unrecognized file. counts = {failed}; errors: why the listing
// failed (cas ls stops at the first directory it cannot read, and so does this job).
constexpr char kHash = '+', kUnrecognized = '?';

Tally list_bucket(const Store& store, std::size_t bucket) {
  Tally t;
  OperationOptions o;
  prepare(o, false, bucket, t);
  try {
    ListResult r = list(store, o);
    t.notes.reserve(r.hashes.size() + r.unrecognized.size());
    for (auto& h : r.hashes) t.notes.push_back(kHash + std::move(h));
    for (auto& p : r.unrecognized) t.notes.push_back(kUnrecognized + std::move(p));
    t.counts = {0};
  } catch (const std::exception& e) {
    t.counts = {1};
    t.errors = {cli::reason(e)};
  }
  return t;
}

}  // namespace

Job make_list_job(Context& context, const CommandArgs& /*args*/) {
  context.require_existing_root("ls");  // as cas ls: a typo in --root is not an empty store
  Job job;
  job.command = "ls";
  job.identity = identity(context, "ls", "");
  job.run = [&context](std::size_t bucket) { return list_bucket(context.store(), bucket); };
  job.finish = [](const Tally& total) {
    if (!total.counts.empty() && total.counts[0] > 0) {
      cli::print_error("ls", total.errors.empty() ? "cannot list the store" : total.errors[0]);
      return cli::kExitFailed;
    }
    // Buckets hold disjoint hashes (every place of a hash is in one bucket), so sorting the
    // union gives cas's order without duplicates; the marks sort hashes before paths.
    std::vector<std::string> all = total.notes;
    std::sort(all.begin(), all.end());
    std::vector<std::string> unrecognized;
    for (const auto& note : all) {
      if (note.front() == kHash) {
        std::cout.write(note.data() + 1, static_cast<std::streamsize>(note.size() - 1)) << '\n';
      } else {
        unrecognized.push_back(note.substr(1));
      }
    }
    // Reported, as cas ls reports them; not content, so not a failure of the listing.
    cli::print_unrecognized("ls", unrecognized);
    return cli::kExitOk;
  };
  return job;
}

}  // namespace cas::mpi
