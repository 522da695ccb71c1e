// stats: files and bytes per layout, unrecognized files, empty directories.
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

}  // namespace

StoreStats stats(const Store& store, const OperationOptions& options) {
  const auto& layouts = store.layouts();
  struct Counts {
    std::atomic<std::uint64_t> files{0}, bytes{0};
  };
  std::vector<Counts> per_layout(layouts.size());
  std::atomic<std::uint64_t> hashes{0}, unrec_files{0}, unrec_bytes{0}, dirs{0}, temp{0},
      temp_bytes{0}, quarantined{0};
  // A directory is empty when no entry names it as its parent.
  InodeSet directories, non_empty;

  detail::UseHistogram uses;
  std::mutex extremes_mu;
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();

  StoreEngine engine(store, options);
  engine.stat_entries = true;
  auto note_parent = [&](const WalkEntry& e) {
    struct stat st;
    if (::fstat(e.parent_fd, &st) == 0) non_empty.insert(st.st_ino);
  };
  engine.on_directory = [&](const WalkEntry& e) {
    dirs.fetch_add(1, std::memory_order_relaxed);
    directories.insert(e.ino);
    note_parent(e);
  };
  engine.on_file = [&](const StoreFile& f) {
    note_parent(f.entry);
    const std::uint64_t size = f.entry.st ? static_cast<std::uint64_t>(f.entry.st->st_size) : 0;
    if (!f.layout) {
      unrec_files.fetch_add(1, std::memory_order_relaxed);
      unrec_bytes.fetch_add(size, std::memory_order_relaxed);
      return;
    }
    if (f.entry.st) {
      const std::int64_t mtime = f.entry.st->st_mtime;
      uses.add(mtime, size);
      std::lock_guard<std::mutex> lock(extremes_mu);
      oldest = std::min(oldest, mtime);
      newest = std::max(newest, mtime);
    }
    per_layout[f.layout_index].files.fetch_add(1, std::memory_order_relaxed);
    per_layout[f.layout_index].bytes.fetch_add(size, std::memory_order_relaxed);
    engine.add_bytes(size);
    // Count each hash once: a copy counts only when no layout earlier in the lookup order
    // holds one (with three or more layouts, two old copies may exist without a preferred one).
    bool counted = true;
    for (std::size_t i = 0; counted && i < f.layout_index; ++i) {
      if (f.hash.size() < layouts[i]->min_hash_length()) continue;
      const std::string earlier = layouts[i]->lookup(f.hash);
      counted = ::faccessat(f.entry.root_fd, earlier.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0;
    }
    if (counted) hashes.fetch_add(1, std::memory_order_relaxed);
  };
  engine.on_out_of_scope = note_parent;
  engine.on_temp_file = [&](const WalkEntry& e) {
    temp.fetch_add(1, std::memory_order_relaxed);
    if (e.st) temp_bytes.fetch_add(static_cast<std::uint64_t>(e.st->st_size));
  };
  engine.on_quarantine_file = [&](const WalkEntry&) {
    quarantined.fetch_add(1, std::memory_order_relaxed);
  };
  engine.run();

  StoreStats result;
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    result.layouts[std::string(layouts[i]->name())] = {per_layout[i].files, per_layout[i].bytes};
  }
  result.hashes = hashes;
  result.unrecognized_files = unrec_files;
  result.unrecognized_bytes = unrec_bytes;
  result.directories = dirs;
  directories.for_each([&](ino_t ino) { result.empty_directories += !non_empty.contains(ino); });
  result.temp_files = temp;
  result.temp_bytes = temp_bytes;
  result.quarantined_files = quarantined;
  engine.take_errors(result);
  if (!uses.empty()) {
    result.oldest_use = oldest;
    result.median_use = std::max(oldest, uses.median());
    result.newest_use = newest;
    result.use_cells = uses.file_counts();
    result.use_cell_width = uses.width();
  }
  if (!in_scope(options, Store::kPinsDirName)) return result;
  try {
    result.pinned_hashes = pinned_hashes(store).size();
  } catch (const Error& e) {
    result.add(e.what());
  }
  return result;
}

void merge_stats(StoreStats& into, const StoreStats& part) {
  for (const auto& [name, layout] : part.layouts) {
    into.layouts[name].files += layout.files;
    into.layouts[name].bytes += layout.bytes;
  }
  into.hashes += part.hashes;
  into.unrecognized_files += part.unrecognized_files;
  into.unrecognized_bytes += part.unrecognized_bytes;
  into.directories += part.directories;
  into.empty_directories += part.empty_directories;
  into.temp_files += part.temp_files;
  into.temp_bytes += part.temp_bytes;
  into.quarantined_files += part.quarantined_files;
  into.pinned_hashes += part.pinned_hashes;
  into.merge(part);
  if (part.use_cells.empty()) return;
  const bool had_uses = !into.use_cells.empty();
  detail::UseHistogram uses;
  for (const StoreStats* s : {static_cast<const StoreStats*>(&into), &part}) {
    for (const auto& [start, files] : s->use_cells) uses.add_cell(start, s->use_cell_width, files);
  }
  into.oldest_use = had_uses ? std::min(into.oldest_use, part.oldest_use) : part.oldest_use;
  into.newest_use = had_uses ? std::max(into.newest_use, part.newest_use) : part.newest_use;
  into.median_use = std::max(into.oldest_use, uses.median());
  into.use_cells = uses.file_counts();
  into.use_cell_width = uses.width();
}

}  // namespace cas
