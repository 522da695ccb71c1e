// cas::ShardPlacement (sharded_remote.hpp): weighted rendezvous hashing over named shards.
//
// The draw is sha256 rather than a faster non-cryptographic hash so that the placement is
// written down in one line (sha256 of "name\nhash") that any tool reproduces from its standard
// library; it costs under a microsecond per shard and hash, nothing beside a request.
#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "cas/errors.hpp"
#include "cas/sharded_remote.hpp"
#include "util/digest.hpp"

namespace cas {
namespace {

std::string normalized_name(const std::string& name) {
  std::string n = redact_url(name);
  while (!n.empty() && n.back() == '/') n.pop_back();
  return n;
}

// u in (0, 1): the first 53 bits of sha256(name "\n" hash), centred in their interval so that
// neither 0 (ln 0) nor 1 (a zero denominator) can come out.
double draw(const std::string& name, std::string_view hash) {
  const std::uint64_t x = detail::sha256_prefix64(name, "\n", hash) >> 11;  // 53 bits: exact
  return (static_cast<double>(x) + 0.5) / 9007199254740992.0;               // 2^53
}

}  // namespace

ShardPlacement::ShardPlacement(std::vector<ShardWeight> shards) : shards_(std::move(shards)) {
  if (shards_.empty()) throw InvalidArgumentError("a sharded remote needs at least one shard");
  std::unordered_set<std::string> seen;
  for (ShardWeight& shard : shards_) {
    shard.name = normalized_name(shard.name);
    if (shard.name.empty()) throw InvalidArgumentError("a shard's name is empty");
    if (!seen.insert(shard.name).second) {
      throw InvalidArgumentError("shard " + shard.name + " is given twice");
    }
    if (!std::isfinite(shard.weight) || shard.weight <= 0) {
      throw InvalidArgumentError("shard " + shard.name + ": the weight must be a positive number");
    }
  }
}

std::size_t ShardPlacement::shard_for(std::string_view hash) const {
  if (shards_.size() == 1) return 0;
  std::size_t best = 0;
  double best_score = -1;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    // -ln(u) > 0 for u in (0, 1): the score is positive and grows with the weight.
    const double score = shards_[i].weight / -std::log(draw(shards_[i].name, hash));
    if (score > best_score || (score == best_score && shards_[i].name < shards_[best].name)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

}  // namespace cas
