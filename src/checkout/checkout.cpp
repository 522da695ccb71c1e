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

// What one thread of checkout_tree does: the entries it takes, one at a time, from `next`.
struct TreeWorker {
  const std::vector<CheckoutEntry>& entries;
  std::atomic<std::size_t>& next;
  detail::DirectoryMaker& dirs;
  detail::Materializer& materializer;
  CheckoutResult result;

  void run() {
    for (std::size_t i; (i = next.fetch_add(1)) < entries.size();) {
      const CheckoutEntry& e = entries[i];
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
  }
};

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
  std::atomic<std::size_t> next{0};
  const unsigned jobs = options.jobs > 0 ? options.jobs : CheckoutOptions::kDefaultJobs;
  const std::size_t n = std::clamp<std::size_t>(entries.size(), 1, jobs);
  std::vector<TreeWorker> workers(n, TreeWorker{entries, next, dirs, materializer, {}});
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (std::size_t t = 1; t < n; ++t) {
    threads.emplace_back([&, t] {
      try {
        workers[t].run();
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        failure = std::current_exception();
        next = entries.size();  // the others stop taking entries
      }
    });
  }
  try {
    workers[0].run();
  } catch (...) {
    std::lock_guard lock(failure_mutex);
    failure = std::current_exception();
    next = entries.size();
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  CheckoutResult result;
  for (const auto& w : workers) merge(result, w.result);
  return result;
}

}  // namespace cas
