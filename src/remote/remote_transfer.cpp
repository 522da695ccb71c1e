// cas::push and cas::pull (remote_transfer.hpp). Both go in batches: each batch is one bulk
// call of the Remote (many requests in flight), and a batch bounds the descriptors and temp
// files open at once (a pull holds one temp per hash of its batch).
#include "cas/remote_transfer.hpp"

#include <sys/stat.h>

#include <optional>
#include <unordered_set>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "store/incoming.hpp"

namespace cas {
namespace {

constexpr std::size_t kBatch = 512;
// push: the first hashes, always asked about; and how many of a batch sent without asking are
// asked about all the same (the sample that tells whether to go on sending unasked).
constexpr std::size_t kProbe = 64;
constexpr std::size_t kSample = 16;

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

// A hash to upload: its file and size.
struct Upload {
  std::string hash;
  boost::filesystem::path path;
  std::uint64_t size = 0;
  bool asked = true;  // the remote said it was absent; false: sent without asking
};

// The hash's file in the store and its size; nullopt (counted, reported) when it went meanwhile.
std::optional<Upload> local_file(Store& store, const std::string& hash, const PushOptions& options,
                                 PushResult& result) {
  auto path = store.lookup_local(hash);
  struct stat st {};
  if (!path || ::stat(path->c_str(), &st) != 0) {
    ++result.failed;
    note(result.errors, options.on_error, "push " + hash + ": removed from the store meanwhile");
    return std::nullopt;
  }
  return Upload{hash, *path, static_cast<std::uint64_t>(st.st_size)};
}

// Uploads (or, dry, counts) `uploads`.
void upload(Remote& remote, const std::vector<Upload>& uploads, const PushOptions& options,
            PushResult& result) {
  if (options.dry_run) {
    for (const Upload& u : uploads) {
      ++result.uploaded;
      result.bytes += u.size;
    }
    return;
  }
  if (uploads.empty()) return;
  std::vector<std::string> hashes;
  std::vector<boost::filesystem::path> paths;
  for (const Upload& u : uploads) {
    hashes.push_back(u.hash);
    paths.push_back(u.path);
  }
  std::vector<RemoteResult> put = remote.upload_many(hashes, paths);
  for (std::size_t i = 0; i < put.size(); ++i) {
    const RemoteResult& r = put[i];
    if (r.status == RemoteStatus::present) {
      ++result.uploaded;
      if (!uploads[i].asked) ++result.sent_unasked;
      result.bytes += r.bytes;
    } else {
      ++result.failed;
      note(result.errors, options.on_error, r.error);
    }
  }
}

// Whether the hashes of the batch after one in which `asked` were asked about and `present` of
// them were on the remote are sent without asking: while most are new, a HEAD per hash doubles
// the requests (a HEAD costs about what a small PUT does) and saves little.
bool send_unasked_next(std::uint64_t asked, std::uint64_t present) {
  return asked > 0 && present * 2 < asked;
}

// Splits `batch` into the hashes to ask about and, when `send_small`, the small ones to send
// without asking (all but a sample of them, which is asked about to keep measuring how much of
// what is pushed the remote already has).
void plan_batch(Store& store, const std::vector<std::string>& batch, bool send_small,
                const PushOptions& options, PushResult& result, std::vector<std::string>& ask,
                std::vector<Upload>& send) {
  if (!send_small) {
    ask = batch;
    return;
  }
  std::size_t sampled = 0;
  for (const std::string& hash : batch) {
    std::optional<Upload> file = local_file(store, hash, options, result);
    if (!file) {
      ++result.checked;
      continue;
    }
    if (file->size > options.unasked_max_bytes || sampled < kSample) {
      sampled += file->size <= options.unasked_max_bytes;
      ask.push_back(hash);
    } else {
      ++result.checked;
      file->asked = false;
      send.push_back(std::move(*file));
    }
  }
}

// Asks the remote about `ask`: counts what it has, adds what it lacks to `send`. Returns how
// many of `ask` it had.
std::uint64_t ask_remote(Store& store, Remote& remote, const std::vector<std::string>& ask,
                         const PushOptions& options, PushResult& result,
                         std::vector<Upload>& send) {
  if (ask.empty()) return 0;
  std::vector<RemoteResult> seen = remote.contains_many(ask);
  std::uint64_t present = 0;
  for (std::size_t i = 0; i < ask.size(); ++i) {
    ++result.checked;
    switch (seen[i].status) {
      case RemoteStatus::present:
        ++present;
        break;
      case RemoteStatus::absent:
        if (auto file = local_file(store, ask[i], options, result)) send.push_back(*file);
        break;
      default:
        ++result.failed;
        note(result.errors, options.on_error, seen[i].error);
    }
  }
  result.already_present += present;
  return present;
}

}  // namespace

PushResult push(Store& store, Remote& remote, const PushOptions& options) {
  PushResult result;
  const std::vector<std::string> all = pushable_hashes(store);
  bool send_small = false;  // the first batch (kProbe hashes) is always asked about
  std::size_t start = 0;
  while (start < all.size()) {
    const std::size_t size = start == 0 ? kProbe : kBatch;
    std::vector<std::string> batch(all.begin() + start,
                                   all.begin() + std::min(all.size(), start + size));
    start += batch.size();
    std::vector<std::string> ask;
    std::vector<Upload> send;
    plan_batch(store, batch, send_small, options, result, ask, send);
    const std::uint64_t present = ask_remote(store, remote, ask, options, result, send);
    upload(remote, send, options, result);
    send_small = options.ask == PushAsk::adaptive && !options.dry_run &&
                 send_unasked_next(ask.size(), present);
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
