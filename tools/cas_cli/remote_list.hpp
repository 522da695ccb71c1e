// The --remote list: one server, or several that share the hashes by rendezvous hashing
// (cas::ShardedRemote), each with an optional weight.
//
// Grammar: every --remote value (and CAS_REMOTE) is a whitespace-separated list of URLs, each
// optionally followed by `weight=W`:
//     --remote http://a:8080 --remote 'http://b:8080 weight=2'
//     CAS_REMOTE='http://a:8080 http://b:8080 weight=2'
// A space never occurs in a URL (it is %20 there), so the split cannot cut a URL, and the weight
// needs no place inside the URL itself, whose query and fragment HttpRemote rejects. It is the
// shape of ccache's remote_storage (URLs with space-separated attributes).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace cas::cli {

struct RemoteSpec {
  std::string url;      // as given (credentials included: never print it, see redact_url)
  double weight = 1.0;  // the share of the hashes: weight / sum of weights
};

// Parses the --remote values in order. Returns an empty list when there is no URL. Throws
// UsageError("--remote", ...) for a `weight=` before any URL, a weight that is not a positive
// number, a token that is neither a URL ("scheme://...") nor `weight=W`, or a weight given twice;
// its message shows no credentials.
std::vector<RemoteSpec> parse_remote_list(const std::vector<std::string>& values);

}  // namespace cas::cli
