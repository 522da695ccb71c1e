// The Store's side of the remote tier (StoreOptions::remote): read through a local miss, write
// through what was published, and the bulk fetch-and-publish behind cas::pull. Every byte fetched
// lands in a temp file of the store's own temp area and is published by publish_fd, as put's bytes
// are, but only after the remote has re-hashed it to its name (RemoteStatus::present).
#include <exception>
#include <vector>

#include "cas/remote.hpp"
#include "store/publisher.hpp"
#include "store/store_impl.hpp"

namespace cas::detail {

void StoreImpl::report_remote_error(const std::string& message, bool upload) noexcept {
  (upload ? remote_counters_.upload_errors : remote_counters_.fetch_errors)++;
  try {
    {
      std::lock_guard lock(remote_counters_.mutex);
      remote_counters_.last_error = message;
    }
    if (options_.on_remote_error) options_.on_remote_error(message);
  } catch (...) {
    // A callback that throws (or no memory for the message) must not undo a local success.
  }
}

RemoteStats StoreImpl::remote_stats() const {
  RemoteStats stats;
  stats.fetched = remote_counters_.fetched.load();
  stats.misses = remote_counters_.misses.load();
  stats.fetch_errors = remote_counters_.fetch_errors.load();
  stats.uploaded = remote_counters_.uploaded.load();
  stats.upload_errors = remote_counters_.upload_errors.load();
  std::lock_guard lock(remote_counters_.mutex);
  stats.last_error = remote_counters_.last_error;
  return stats;
}

std::vector<RemoteResult> StoreImpl::fetch_and_publish(Remote& remote,
                                                       const std::vector<std::string>& hashes,
                                                       Durability durability) {
  std::vector<TempGuard> temps;
  temps.reserve(hashes.size());
  std::vector<std::string> names;
  std::vector<int> fds;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    int fd = -1;
    names.push_back(temp_.create(&fd));
    temps.emplace_back(*fs_, names.back(), fd);
    fds.push_back(fd);
  }
  // Each verified file is published as soon as it is complete, while the others are still in
  // flight: for one hash on the calling thread, for many on a Publisher's (publisher.hpp), so
  // that publishing also overlaps the transfers' CPU work. What is not present keeps its guard,
  // which removes the temp.
  auto publish = [&](std::size_t i) {
    temps[i].release();  // publish_fd owns the descriptor and the temp from here
    publish_fd(fds[i], names[i], hashes[i], nullptr, durability);
  };
  if (hashes.size() == 1) {
    std::vector<RemoteResult> results = remote.fetch_many(hashes, fds);
    if (results.front().status == RemoteStatus::present) publish(0);
    return results;
  }
  Publisher publisher(publish);  // after temps: joined before they are destroyed
  std::vector<RemoteResult> results =
      remote.fetch_many(hashes, fds, [&](std::size_t i, const RemoteResult& r) {
        if (r.status == RemoteStatus::present) publisher.add(i);
      });
  publisher.finish();
  return results;
}

std::optional<boost::filesystem::path> StoreImpl::read_through(std::string_view hash) {
  Remote* remote = options_.remote.get();
  if (remote == nullptr || read_only_.load() || !algorithm_for_length(hash.size())) {
    return std::nullopt;
  }
  const std::string h(hash);
  RemoteResult r = fetch_and_publish(*remote, {h}, options_.durability).front();
  switch (r.status) {
    case RemoteStatus::present:
      ++remote_counters_.fetched;
      return boost::filesystem::path(abs(options_.layouts.front()->lookup(hash)));
    case RemoteStatus::absent:
      ++remote_counters_.misses;
      return std::nullopt;
    default:
      report_remote_error(r.error, /*upload=*/false);
      return std::nullopt;
  }
}

void StoreImpl::write_through(std::string_view hash, const std::string& path) noexcept {
  Remote* remote = options_.remote.get();
  if (remote == nullptr || options_.remote_mode != RemoteMode::read_write ||
      !algorithm_for_length(hash.size())) {
    return;
  }
  try {
    RemoteResult r = remote->upload(std::string(hash), path);
    if (r.status == RemoteStatus::present) {
      ++remote_counters_.uploaded;
    } else {
      report_remote_error(r.error, /*upload=*/true);
    }
  } catch (const std::exception& e) {
    report_remote_error(std::string("upload ") + std::string(hash) + ": " + e.what(), true);
  }
}

}  // namespace cas::detail

namespace cas {

RemoteStats Store::remote_stats() const { return impl_->remote_stats(); }

}  // namespace cas
