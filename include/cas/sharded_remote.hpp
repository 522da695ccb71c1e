// A remote tier spread over several servers: cas::ShardedRemote keeps each hash on exactly one
// of its shards (a Remote each, usually an HttpRemote per server), chosen by weighted rendezvous
// hashing, as ccache's remote storage (`shards=`) and Buildbarn's sharding blob access do.
//
// Placement (ShardPlacement): every shard has a name, the server's identity (its base URL
// without credentials), and a weight. For a hash h, shard i scores
//     score_i = weight_i / -ln(u_i),   u_i = (x_i + 0.5) / 2^53,
// where x_i is the first 53 bits (big-endian) of sha256(name_i + "\n" + h); the highest score
// wins (equal scores, which a 53-bit draw makes vanishingly rare: the smaller name). So the
// placement depends on the names, weights and hash only: not on the order the shards are
// given in, the process or the run (any language with sha256 computes the same). A shard's
// expected share is its weight over the sum of weights; adding a shard moves only the hashes it
// now wins (onto it), removing one moves only its own hashes.
//
// Thread-safety: ShardPlacement is immutable. ShardedRemote is safe to use from several threads
// at once, as every Remote. Its bulk forms split the hashes by shard and run each shard's share
// on a thread of its own (each shard keeps its own max_in_flight requests in flight); on_done is
// still called from the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cas/remote.hpp"

namespace cas {

// A shard's identity and weight, for placement alone.
struct ShardWeight {
  std::string name;     // the server's identity, normally its base URL (see ShardPlacement)
  double weight = 1.0;  // a positive finite number: the share is weight / sum of weights
};

// Which shard holds which hash: a pure function of the names, weights and hash (no I/O).
class ShardPlacement {
 public:
  // The names are normalized: userinfo is dropped (redact_url) and trailing '/' removed, so
  // credentials never decide placement nor show in a message. Throws InvalidArgumentError
  // when there is no shard, a name is empty (once normalized) or given twice, or a weight is not
  // a positive finite number.
  explicit ShardPlacement(std::vector<ShardWeight> shards);

  // The index (in the order given) of the shard that holds `hash`. Any string is placed: the
  // caller validates hashes (ShardedRemote does, before any request). Throws only
  // std::bad_alloc.
  std::size_t shard_for(std::string_view hash) const;

  std::size_t size() const noexcept { return shards_.size(); }
  // The normalized name and the weight of shard `index` (< size()).
  const std::string& name(std::size_t index) const { return shards_.at(index).name; }
  double weight(std::size_t index) const { return shards_.at(index).weight; }

 private:
  std::vector<ShardWeight> shards_;
};

// A server of a ShardedRemote.
struct RemoteShard {
  std::shared_ptr<Remote> remote;  // not null
  std::string name;                // its identity, normally its base URL (see ShardPlacement)
  double weight = 1.0;
};

// What the requests routed to one shard came to, since the ShardedRemote was made.
struct RemoteShardStats {
  std::string name;  // normalized: no credentials
  double weight = 1.0;
  std::uint64_t present = 0;  // found (HEAD, GET) or stored (PUT)
  std::uint64_t absent = 0;   // 404
  std::uint64_t corrupt = 0;  // a GET whose body did not hash to its name
  std::uint64_t failed = 0;   // refused, timeout, 5xx, refused PUT, ...
  std::string last_error;     // the latest corrupt/failed message, else empty
};

// The Remote over several servers. Each call validates every hash first (InvalidHashError:
// nothing is requested from any shard), then sends each hash to its shard only: a shard that is
// down makes its own hashes fail (or miss) and no other's. An error text that does not already
// name its shard is prefixed with "<name>: " (HttpRemote's already name the URL).
class ShardedRemote final : public Remote {
 public:
  // Throws InvalidArgumentError as ShardPlacement does, and when a remote is null.
  explicit ShardedRemote(std::vector<RemoteShard> shards);
  ~ShardedRemote() override;
  ShardedRemote(const ShardedRemote&) = delete;
  ShardedRemote& operator=(const ShardedRemote&) = delete;

  const ShardPlacement& placement() const noexcept;
  // The shard that holds `hash`. Throws InvalidHashError as every call does.
  std::size_t shard_for(const std::string& hash) const;
  // Per shard, in the order given: what its requests came to so far.
  std::vector<RemoteShardStats> stats() const;

  RemoteResult contains(const std::string& hash) override;
  RemoteResult fetch(const std::string& hash, int fd) override;
  RemoteResult upload(const std::string& hash, const boost::filesystem::path& path) override;
  // The bulk forms: as Remote's, with every shard's share in flight at once (results in input
  // order; on_done from the calling thread, in completion order across shards).
  std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) override;
  std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                       const std::vector<int>& fds,
                                       const FetchDone& on_done = {}) override;
  std::vector<RemoteResult> upload_many(const std::vector<std::string>& hashes,
                                        const std::vector<boost::filesystem::path>& paths) override;

 private:
  struct Impl;  // src/remote/sharded_remote.cpp
  std::unique_ptr<Impl> impl_;
};

}  // namespace cas
