// cas::push and cas::pull (remote_transfer.hpp). Both go in batches: each batch is one bulk
// call of the Remote (many requests in flight), and a batch bounds the descriptors and temp
// files open at once (a pull holds one temp per hash of its batch).
#include "cas/remote_transfer.hpp"

#include <sys/stat.h>

#include <unordered_set>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "store/incoming.hpp"

namespace cas {
namespace {

constexpr std::size_t kBatch = 512;

// Keeps `message` among the result's first errors and passes it to on_error.
void note(std::vector<std::string>& errors, const std::function<void(const std::string&)>& on_error,
          const std::string& message) {
  keep_error(errors, message);
  if (on_error) on_error(message);
}

std::vector<std::string> pushable_hashes(Store& store) {
  std::vector<std::string> hashes;
  try {
    store.walk([&](const std::string& hash) {
      if (algorithm_for_length(hash.size())) hashes.push_back(hash);
    });
  } catch (const UnrecognizedPathsError&) {
    // Not content: nothing to push. `cas ls`/`verify` are where such files are reported.
  }
  return hashes;
}

// Uploads (or, dry, sizes) the batch's absent hashes.
void push_absent(Store& store, Remote& remote, const std::vector<std::string>& absent,
                 const PushOptions& options, PushResult& result) {
  std::vector<std::string> hashes;
  std::vector<boost::filesystem::path> paths;
  for (const std::string& hash : absent) {
    auto path = store.lookup_local(hash);
    if (!path) {
      ++result.failed;
      note(result.errors, options.on_error, "push " + hash + ": removed from the store meanwhile");
      continue;
    }
    if (options.dry_run) {
      struct stat st {};
      if (::stat(path->c_str(), &st) == 0) result.bytes += static_cast<std::uint64_t>(st.st_size);
      ++result.uploaded;
      continue;
    }
    hashes.push_back(hash);
    paths.push_back(*path);
  }
  if (hashes.empty()) return;
  std::vector<RemoteResult> put = remote.upload_many(hashes, paths);
  for (const RemoteResult& r : put) {
    if (r.status == RemoteStatus::present) {
      ++result.uploaded;
      result.bytes += r.bytes;
    } else {
      ++result.failed;
      note(result.errors, options.on_error, r.error);
    }
  }
}

}  // namespace

PushResult push(Store& store, Remote& remote, const PushOptions& options) {
  PushResult result;
  const std::vector<std::string> all = pushable_hashes(store);
  for (std::size_t start = 0; start < all.size(); start += kBatch) {
    std::vector<std::string> batch(all.begin() + start,
                                   all.begin() + std::min(all.size(), start + kBatch));
    std::vector<RemoteResult> seen = remote.contains_many(batch);
    std::vector<std::string> absent;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ++result.checked;
      switch (seen[i].status) {
        case RemoteStatus::present:
          ++result.already_present;
          break;
        case RemoteStatus::absent:
          absent.push_back(batch[i]);
          break;
        default:
          ++result.failed;
          note(result.errors, options.on_error, seen[i].error);
      }
    }
    push_absent(store, remote, absent, options, result);
  }
  return result;
}

PullResult pull(Store& store, Remote& remote, const std::vector<std::string>& hashes,
                const PullOptions& options) {
  for (const std::string& hash : hashes) validate_remote_hash(hash);
  detail::Incoming incoming(store);  // ReadOnlyError on a read-only store
  const Durability durability = options.durability.value_or(store.options().durability);
  PullResult result;
  std::unordered_set<std::string> seen;
  std::vector<std::string> wanted;
  for (const std::string& hash : hashes) {
    if (!seen.insert(hash).second) continue;
    if (store.lookup_local(hash)) {
      ++result.already_present;
    } else {
      wanted.push_back(hash);
    }
  }
  for (std::size_t start = 0; start < wanted.size(); start += kBatch) {
    std::vector<std::string> batch(wanted.begin() + start,
                                   wanted.begin() + std::min(wanted.size(), start + kBatch));
    auto got = incoming.fetch(remote, batch, durability);
    for (std::size_t i = 0; i < got.size(); ++i) {
      const RemoteResult& r = got[i];
      switch (r.status) {
        case RemoteStatus::present:
          ++result.fetched;
          result.bytes += r.bytes;
          continue;
        case RemoteStatus::absent:
          ++result.missing;
          break;
        case RemoteStatus::corrupt:
          ++result.corrupt;
          break;
        case RemoteStatus::failed:
          ++result.failed;
          break;
      }
      note(result.errors, options.on_error,
           r.status == RemoteStatus::absent ? "pull " + batch[i] + ": not on the remote (404)"
                                            : r.error);
    }
  }
  if (durability == Durability::batch) store.flush();
  return result;
}

}  // namespace cas
