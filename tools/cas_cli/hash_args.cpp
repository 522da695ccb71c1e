#include "hash_args.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/operations.hpp"
#include "cli.hpp"
#include "store/scope.hpp"

namespace cas::cli {
namespace {

// How many candidates an ambiguous prefix lists.
constexpr std::size_t kMaxCandidatesShown = 20;

// The stored hashes that begin with `prefix`, sorted. Every layout puts a hash below a
// top-level name made of its first digits (v1 and v0: h[0:2]; fanout:W,...: h[0:W]), so only
// the top-level names that agree with the prefix as far as both go are listed.
std::vector<std::string> stored_with_prefix(const Store& store, const std::string& prefix) {
  OperationOptions options;
  detail::Scope scope;
  scope.top = [&prefix](std::string_view top) {
    return top.starts_with(prefix) || std::string_view(prefix).starts_with(top);
  };
  detail::set_scope(options, std::move(scope));
  std::vector<std::string> hashes = list(store, options).hashes;
  std::erase_if(hashes, [&prefix](const std::string& h) { return !h.starts_with(prefix); });
  return hashes;
}

// Whether a file is stored under exactly the name `hash` by one of the store's layouts.
bool stored_exactly(const Store& store, const std::string& hash) {
  for (const auto& layout : store.layouts()) {
    if (hash.size() < layout->min_hash_length()) continue;
    struct stat st;
    const std::string path = (store.root() / layout->lookup(hash)).string();
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  }
  return false;
}

std::string candidates_text(const std::vector<std::string>& hashes) {
  std::string text = "ambiguous prefix: " + std::to_string(hashes.size()) +
                     " stored hashes begin with it (give more digits):";
  for (std::size_t i = 0; i < hashes.size() && i < kMaxCandidatesShown; ++i) {
    text += "\n  " + hashes[i];
  }
  if (hashes.size() > kMaxCandidatesShown) text += "\n  ...";
  return text;
}

}  // namespace

bool is_full_hash(const std::string& text) {
  return algorithm_for_length(text.size()) && is_valid_hash(text);
}

void require_full_hash(const std::string& command, const std::string& hash) {
  validate_hash(hash);  // throws InvalidHashError for anything but lowercase hex
  if (!algorithm_for_length(hash.size())) throw UsageError(command + " " + hash, kNotAFullHash);
}

std::optional<std::string> resolve_hash(Context& context, const std::string& command,
                                        const std::string& text) {
  validate_hash(text);
  if (algorithm_for_length(text.size())) return text;
  if (text.size() < kMinPrefix) {
    throw UsageError(command + " " + text, std::string(kNotAFullHash) +
                                               ", and too short a prefix to resolve (" +
                                               std::to_string(kMinPrefix) + " digits at least)");
  }
  if (stored_exactly(context.store(), text)) return text;
  const std::vector<std::string> hashes = stored_with_prefix(context.store(), text);
  if (hashes.empty()) return std::nullopt;
  if (hashes.size() > 1) throw UsageError(command + " " + text, candidates_text(hashes));
  return hashes.front();
}

std::string removable_hash(Context& context, const std::string& command, const std::string& text) {
  validate_hash(text);
  if (algorithm_for_length(text.size())) return text;
  // A name of another length (the library allows 2 to 128 digits) that is stored as given.
  if (stored_exactly(context.store(), text)) return text;
  throw UsageError(command + " " + text, std::string(kNotAFullHash) + "; " + command +
                                             " takes no prefix ('cas path " + text +
                                             "' shows the hash it begins)");
}

}  // namespace cas::cli
