// cas::ShardedRemote (sharded_remote.hpp): each hash goes to the shard that holds it. A bulk call
// runs every shard's share on a thread of its own because a Remote's bulk call blocks until its
// share is done: shares taken one after another would add up their times, and a server that is
// slow to refuse (a connect timeout) would hold up every other server's share.
#include "cas/sharded_remote.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "cas/errors.hpp"

namespace cas {
namespace {

// One shard's part of a bulk call.
struct Share {
  std::size_t shard = 0;
  std::vector<std::size_t> indices;  // into the caller's lists, in input order
  std::vector<RemoteResult> results;
  std::exception_ptr error;
};

// Completions the shares' threads hand over to the calling thread, which alone calls on_done
// (the Remote contract: a caller publishes from its own thread).
class DoneQueue {
 public:
  void push(std::size_t index, RemoteResult result) {
    std::lock_guard lock(mutex_);
    items_.emplace_back(index, std::move(result));
    ready_.notify_one();
  }
  void finish_one() {
    std::lock_guard lock(mutex_);
    ++finished_;
    ready_.notify_one();
  }
  // Calls on_done for each completion as it arrives, until `shares` shares have finished and
  // every completion was delivered.
  void drain(std::size_t shares, const Remote::FetchDone& on_done) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return !items_.empty() || finished_ == shares; });
      if (items_.empty()) return;
      std::vector<std::pair<std::size_t, RemoteResult>> batch;
      batch.swap(items_);
      lock.unlock();
      for (const auto& [index, result] : batch) on_done(index, result);
      lock.lock();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::pair<std::size_t, RemoteResult>> items_;
  std::size_t finished_ = 0;
};

std::vector<ShardWeight> weights_of(const std::vector<RemoteShard>& shards) {
  std::vector<ShardWeight> out;
  for (const RemoteShard& s : shards) {
    if (!s.remote) throw InvalidArgumentError("shard " + redact_url(s.name) + ": no remote");
    out.push_back({s.name, s.weight});
  }
  return out;
}

}  // namespace

struct ShardedRemote::Impl {
  // Runs one shard's share: `indices` into the caller's lists; on_done hears of local indices.
  using ShareCall = std::function<std::vector<RemoteResult>(
      Remote& remote, const std::vector<std::size_t>& indices, const FetchDone& on_done)>;

  explicit Impl(const std::vector<RemoteShard>& shards) : placement(weights_of(shards)) {
    for (std::size_t i = 0; i < shards.size(); ++i) {
      remotes.push_back(shards[i].remote);
      RemoteShardStats s;
      s.name = placement.name(i);
      s.weight = placement.weight(i);
      stats.push_back(std::move(s));
    }
  }

  // Names the shard in r.error when its text does not already.
  void attribute(std::size_t shard, RemoteResult& r) const {
    if (r.status != RemoteStatus::corrupt && r.status != RemoteStatus::failed) return;
    const std::string& name = placement.name(shard);
    if (r.error.empty()) r.error = name + ": " + to_string(r.status);
    if (r.error.find(name) == std::string::npos) r.error = name + ": " + r.error;
  }

  void count(std::size_t shard, const RemoteResult& r) {
    std::lock_guard lock(mutex);
    RemoteShardStats& s = stats[shard];
    switch (r.status) {
      case RemoteStatus::present:
        ++s.present;
        return;
      case RemoteStatus::absent:
        ++s.absent;
        return;
      case RemoteStatus::corrupt:
        ++s.corrupt;
        break;
      case RemoteStatus::failed:
        ++s.failed;
        break;
    }
    s.last_error = r.error;
  }

  // One hash, to its shard.
  template <typename Call>
  RemoteResult one(const std::string& hash, const Call& call) {
    validate_remote_hash(hash);
    const std::size_t shard = placement.shard_for(hash);
    RemoteResult r = call(*remotes[shard]);
    attribute(shard, r);
    count(shard, r);
    return r;
  }

  std::vector<Share> split(const std::vector<std::string>& hashes) const;
  void run_apart(std::vector<Share>& shares, const ShareCall& call, const FetchDone& on_done);
  std::vector<RemoteResult> run_shares(const std::vector<std::string>& hashes,
                                       const ShareCall& call, const FetchDone& on_done);

  ShardPlacement placement;
  std::vector<std::shared_ptr<Remote>> remotes;
  std::mutex mutex;  // guards stats
  std::vector<RemoteShardStats> stats;
};

std::vector<Share> ShardedRemote::Impl::split(const std::vector<std::string>& hashes) const {
  std::vector<Share> by_shard(remotes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    by_shard[placement.shard_for(hashes[i])].indices.push_back(i);
  }
  std::vector<Share> shares;
  for (std::size_t s = 0; s < by_shard.size(); ++s) {
    if (by_shard[s].indices.empty()) continue;
    by_shard[s].shard = s;
    shares.push_back(std::move(by_shard[s]));
  }
  return shares;
}

// Every share on a thread of its own; the calling thread delivers the completions.
void ShardedRemote::Impl::run_apart(std::vector<Share>& shares, const ShareCall& call,
                                    const FetchDone& on_done) {
  DoneQueue queue;  // outlives the threads, which join before it goes
  {
    std::vector<std::jthread> threads;
    for (Share& each : shares) {
      threads.emplace_back([&queue, &call, &on_done, this, &share = each] {
        FetchDone local;
        if (on_done) {
          local = [&](std::size_t i, const RemoteResult& r) {
            RemoteResult named = r;
            attribute(share.shard, named);
            queue.push(share.indices[i], std::move(named));
          };
        }
        try {
          share.results = call(*remotes[share.shard], share.indices, local);
        } catch (...) {
          share.error = std::current_exception();
        }
        queue.finish_one();
      });
    }
    queue.drain(
        shares.size(), on_done ? on_done : [](std::size_t, const RemoteResult&) {});
  }
  for (const Share& share : shares) {
    if (share.error) std::rethrow_exception(share.error);
  }
}

std::vector<RemoteResult> ShardedRemote::Impl::run_shares(const std::vector<std::string>& hashes,
                                                          const ShareCall& call,
                                                          const FetchDone& on_done) {
  for (const std::string& hash : hashes) validate_remote_hash(hash);
  std::vector<Share> shares = split(hashes);
  if (shares.size() == 1) {
    // One server to ask: no thread, on_done straight from this one.
    Share& share = shares.front();
    FetchDone local;
    if (on_done) {
      local = [&](std::size_t i, const RemoteResult& r) {
        RemoteResult named = r;
        attribute(share.shard, named);
        on_done(share.indices[i], named);
      };
    }
    share.results = call(*remotes[share.shard], share.indices, local);
  } else if (shares.size() > 1) {
    run_apart(shares, call, on_done);
  }
  std::vector<RemoteResult> out(hashes.size());
  for (Share& share : shares) {
    share.results.resize(share.indices.size());  // a Remote answers every hash; be safe
    for (std::size_t k = 0; k < share.indices.size(); ++k) {
      attribute(share.shard, share.results[k]);
      count(share.shard, share.results[k]);
      out[share.indices[k]] = std::move(share.results[k]);
    }
  }
  return out;
}

ShardedRemote::ShardedRemote(std::vector<RemoteShard> shards)
    : impl_(std::make_unique<Impl>(shards)) {}

ShardedRemote::~ShardedRemote() = default;

const ShardPlacement& ShardedRemote::placement() const noexcept { return impl_->placement; }

std::size_t ShardedRemote::shard_for(const std::string& hash) const {
  validate_remote_hash(hash);
  return impl_->placement.shard_for(hash);
}

std::vector<RemoteShardStats> ShardedRemote::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

RemoteResult ShardedRemote::contains(const std::string& hash) {
  return impl_->one(hash, [&](Remote& r) { return r.contains(hash); });
}

RemoteResult ShardedRemote::fetch(const std::string& hash, int fd) {
  return impl_->one(hash, [&](Remote& r) { return r.fetch(hash, fd); });
}

RemoteResult ShardedRemote::upload(const std::string& hash, const boost::filesystem::path& path) {
  return impl_->one(hash, [&](Remote& r) { return r.upload(hash, path); });
}

std::vector<RemoteResult> ShardedRemote::contains_many(const std::vector<std::string>& hashes) {
  return impl_->run_shares(
      hashes,
      [&](Remote& remote, const std::vector<std::size_t>& indices, const FetchDone&) {
        std::vector<std::string> part;
        for (std::size_t i : indices) part.push_back(hashes[i]);
        return remote.contains_many(part);
      },
      {});
}

std::vector<RemoteResult> ShardedRemote::fetch_many(const std::vector<std::string>& hashes,
                                                    const std::vector<int>& fds,
                                                    const FetchDone& on_done) {
  if (fds.size() != hashes.size()) throw InvalidArgumentError("fetch_many: one fd per hash");
  return impl_->run_shares(
      hashes,
      [&](Remote& remote, const std::vector<std::size_t>& indices, const FetchDone& done) {
        std::vector<std::string> part;
        std::vector<int> part_fds;
        for (std::size_t i : indices) {
          part.push_back(hashes[i]);
          part_fds.push_back(fds[i]);
        }
        return remote.fetch_many(part, part_fds, done);
      },
      on_done);
}

std::vector<RemoteResult> ShardedRemote::upload_many(
    const std::vector<std::string>& hashes, const std::vector<boost::filesystem::path>& paths) {
  if (paths.size() != hashes.size()) throw InvalidArgumentError("upload_many: one path per hash");
  return impl_->run_shares(
      hashes,
      [&](Remote& remote, const std::vector<std::size_t>& indices, const FetchDone&) {
        std::vector<std::string> part;
        std::vector<boost::filesystem::path> part_paths;
        for (std::size_t i : indices) {
          part.push_back(hashes[i]);
          part_paths.push_back(paths[i]);
        }
        return remote.upload_many(part, part_paths);
      },
      {});
}

}  // namespace cas
