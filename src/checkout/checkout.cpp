// cas::checkout and cas::checkout_tree (checkout.hpp): the checks before anything is touched,
// then each file by a Materializer, on a bounded pool of threads for a tree.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/filesystem/operations.hpp>

#include "cas/checkout.hpp"
#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "checkout/directories.hpp"
#include "checkout/entry_paths.hpp"
#include "checkout/filesystems.hpp"
#include "checkout/materialize.hpp"
#include "util/rel_path.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

FileSystem& file_system_of(Store& store) {
  const auto& fs = store.options().file_system;
  return fs ? *fs : *FileSystem::posix();
}

// Entries are laid out directory by directory, each thread taking a run of kRun neighbours:
// files made one after another in one directory share its blocks and locks (on btrfs a
// manifest in round-robin order over 700 directories cost 1.3x one in directory order), and
// the threads stay mostly in different directories.
constexpr std::size_t kRun = 32;

std::vector<std::size_t> directory_order(const std::vector<CheckoutEntry>& entries) {
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return detail::parent_of(entries[a].path) < detail::parent_of(entries[b].path);
  });
  return order;
}

// What one thread of checkout_tree does: the entries it takes, a run at a time, from `next`,
// until they are all taken or `stop` (another thread failed beyond one entry).
struct TreeWorker {
  const std::vector<CheckoutEntry>& entries;
  const std::vector<std::size_t>& order;
  std::atomic<std::size_t>& next;
  std::atomic<bool>& stop;
  detail::DirectoryMaker& dirs;
  detail::Materializer& materializer;
  CheckoutResult result;

  void run() {
    for (std::size_t start; !stop && (start = next.fetch_add(kRun)) < order.size();) {
      const std::size_t end = std::min(order.size(), start + kRun);
      for (std::size_t k = start; k < end && !stop; ++k) place(entries[order[k]]);
    }
  }

  void place(const CheckoutEntry& e) {
    try {
      const detail::DestDir dir = dirs.make(detail::parent_of(e.path));
      std::uint64_t size = 0;
      const std::string dest = (dirs.root() / e.path).string();
      const CheckoutAction action = materializer.place(e.hash, dest, dir, e.executable, &size);
      result.count(action, size);  // after place() has set size
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& ex) {
      result.add(e.path + ": " + ex.what());
    }
  }
};

// Runs every worker, the first on the calling thread; rethrows the first failure that ended one.
void run_workers(std::vector<TreeWorker>& workers, std::atomic<bool>& stop) {
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto run = [&](TreeWorker& w) {
    try {
      w.run();
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;  // the others stop taking entries
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < workers.size(); ++t) threads.emplace_back(run, std::ref(workers[t]));
  run(workers[0]);
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

void merge(CheckoutResult& into, const CheckoutResult& part) {
  into.reflinked += part.reflinked;
  into.hardlinked += part.hardlinked;
  into.copied += part.copied;
  into.symlinked += part.symlinked;
  into.already_there += part.already_there;
  into.bytes += part.bytes;
  into.OperationErrors::merge(part);
}

}  // namespace

CheckoutAction checkout(Store& store, const std::string& hash, const fs::path& dest,
                        LinkMode mode) {
  validate_hash(hash);
  if (dest.empty() || !dest.has_filename()) {
    throw InvalidArgumentError("checkout: destination '" + dest.string() + "' names no file");
  }
  const fs::path abs = fs::absolute(dest);
  detail::DirectoryMaker dirs(file_system_of(store), abs.parent_path());
  const detail::DestDir dir = dirs.make("");
  detail::ClonePairs pairs;
  detail::Materializer materializer(store, mode, pairs);
  std::uint64_t size = 0;
  return materializer.place(hash, abs.string(), dir, std::nullopt, &size);
}

CheckoutResult checkout_tree(Store& store, const std::vector<CheckoutEntry>& entries,
                             const fs::path& dest_root, const CheckoutOptions& options) {
  detail::check_entries(entries);
  if (dest_root.empty()) throw InvalidArgumentError("checkout_tree: empty destination root");
  detail::DirectoryMaker dirs(file_system_of(store), fs::absolute(dest_root));
  detail::ClonePairs pairs;
  detail::Materializer materializer(store, options.link, pairs);
  const unsigned jobs = options.jobs > 0 ? options.jobs
                                         : std::clamp(std::thread::hardware_concurrency(), 1u,
                                                      CheckoutOptions::kDefaultJobs);
  const std::size_t n = std::clamp<std::size_t>(entries.size(), 1, jobs);
  const std::vector<std::size_t> order = directory_order(entries);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<TreeWorker> workers(n,
                                  TreeWorker{entries, order, next, stop, dirs, materializer, {}});
  run_workers(workers, stop);
  CheckoutResult result;
  for (const auto& w : workers) merge(result, w.result);
  return result;
}

}  // namespace cas
