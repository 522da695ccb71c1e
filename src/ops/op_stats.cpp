// stats: files and bytes per layout, unrecognized files, empty directories, temps, quarantine,
// pins and the last-use distribution, counted by the engine's handlers in one walk.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <limits>
#include <mutex>
#include <unordered_set>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "ops/stats_merge.hpp"
#include "store/scope.hpp"
#include "store/store_engine.hpp"
#include "store/use_histogram.hpp"

namespace cas {
namespace {

using detail::StoreEngine;
using detail::StoreFile;

// A set of directory inode numbers, sharded so the walker's threads rarely contend.
class InodeSet {
 public:
  void insert(ino_t ino) {
    auto& shard = shards_[ino % kShards];
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.set.insert(ino);
  }
  bool contains(ino_t ino) const { return shards_[ino % kShards].set.count(ino) != 0; }
  // Calls f for every member; only once no thread inserts any more.
  template <typename F>
  void for_each(F f) const {
    for (const auto& s : shards_) {
      for (ino_t ino : s.set) f(ino);
    }
  }

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_set<ino_t> set;
  };
  std::array<Shard, kShards> shards_;
};

// What one stats walk counts, from the walker's threads at once.
class StatsCounter {
 public:
  explicit StatsCounter(const Store& store)
      : layouts_(store.layouts()), per_layout_(layouts_.size()) {}

  // Sets the engine's handlers to count into this.
  void attach(StoreEngine& engine) {
    engine.stat_entries = true;
    engine.on_directory = [this](const WalkEntry& e) {
      dirs_.fetch_add(1, std::memory_order_relaxed);
      directories_.insert(e.ino);
      note_parent(e);
    };
    engine.on_file = [this, &engine](const StoreFile& f) { on_file(engine, f); };
    engine.on_out_of_scope = [this](const WalkEntry& e) { note_parent(e); };
    engine.on_temp_file = [this](const WalkEntry& e) {
      temp_.fetch_add(1, std::memory_order_relaxed);
      if (e.st) temp_bytes_.fetch_add(static_cast<std::uint64_t>(e.st->st_size));
    };
    engine.on_quarantine_file = [this](const WalkEntry&) {
      quarantined_.fetch_add(1, std::memory_order_relaxed);
    };
  }

  // The counts, once the walk is over.
  StoreStats result() const;

 private:
  struct Counts {
    std::atomic<std::uint64_t> files{0}, bytes{0};
  };

  // A directory is empty when no entry names it as its parent.
  void note_parent(const WalkEntry& e) {
    struct stat st;
    if (::fstat(e.parent_fd, &st) == 0) non_empty_.insert(st.st_ino);
  }
  void on_file(StoreEngine& engine, const StoreFile& f);
  // Whether no layout earlier in the lookup order holds a copy of `f`'s hash: each hash counts
  // once (with three or more layouts, two old copies may exist without a preferred one).
  bool first_copy(const StoreFile& f) const;

  const std::vector<std::shared_ptr<const Layout>>& layouts_;
  std::vector<Counts> per_layout_;
  std::atomic<std::uint64_t> hashes_{0}, unrec_files_{0}, unrec_bytes_{0}, dirs_{0}, temp_{0},
      temp_bytes_{0}, quarantined_{0};
  InodeSet directories_, non_empty_;
  detail::UseHistogram uses_;
  std::mutex extremes_mu_;
  std::int64_t oldest_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t newest_ = std::numeric_limits<std::int64_t>::min();
};

void StatsCounter::on_file(StoreEngine& engine, const StoreFile& f) {
  note_parent(f.entry);
  const std::uint64_t size = f.entry.st ? static_cast<std::uint64_t>(f.entry.st->st_size) : 0;
  if (!f.layout) {
    unrec_files_.fetch_add(1, std::memory_order_relaxed);
    unrec_bytes_.fetch_add(size, std::memory_order_relaxed);
    return;
  }
  if (f.entry.st) {
    const std::int64_t mtime = f.entry.st->st_mtime;
    uses_.add(mtime, size);
    std::lock_guard<std::mutex> lock(extremes_mu_);
    oldest_ = std::min(oldest_, mtime);
    newest_ = std::max(newest_, mtime);
  }
  per_layout_[f.layout_index].files.fetch_add(1, std::memory_order_relaxed);
  per_layout_[f.layout_index].bytes.fetch_add(size, std::memory_order_relaxed);
  engine.add_bytes(size);
  if (first_copy(f)) hashes_.fetch_add(1, std::memory_order_relaxed);
}

bool StatsCounter::first_copy(const StoreFile& f) const {
  for (std::size_t i = 0; i < f.layout_index; ++i) {
    if (f.hash.size() < layouts_[i]->min_hash_length()) continue;
    const std::string earlier = layouts_[i]->lookup(f.hash);
    if (::faccessat(f.entry.root_fd, earlier.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) return false;
  }
  return true;
}

StoreStats StatsCounter::result() const {
  StoreStats result;
  for (std::size_t i = 0; i < layouts_.size(); ++i) {
    result.layouts[std::string(layouts_[i]->name())] = {per_layout_[i].files, per_layout_[i].bytes};
  }
  result.hashes = hashes_;
  result.unrecognized_files = unrec_files_;
  result.unrecognized_bytes = unrec_bytes_;
  result.directories = dirs_;
  directories_.for_each([&](ino_t ino) { result.empty_directories += !non_empty_.contains(ino); });
  result.temp_files = temp_;
  result.temp_bytes = temp_bytes_;
  result.quarantined_files = quarantined_;
  if (!uses_.empty()) {
    result.oldest_use = oldest_;
    result.median_use = std::max(oldest_, uses_.median());
    result.newest_use = newest_;
    result.last_uses = std::make_shared<const detail::LastUses>(
        detail::LastUses{uses_.width(), uses_.file_counts()});
  }
  return result;
}

}  // namespace

StoreStats stats(const Store& store, const OperationOptions& options) {
  StatsCounter counter(store);
  StoreEngine engine(store, options);
  counter.attach(engine);
  engine.run();
  StoreStats result = counter.result();
  engine.take_errors(result);
  if (!detail::in_scope(options, Store::kPinsDirName)) return result;
  try {
    result.pinned_hashes = pinned_hashes(store).size();
  } catch (const Error& e) {
    result.add(e.what());
  }
  return result;
}

}  // namespace cas
