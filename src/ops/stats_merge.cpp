// merge_stats: the stats of a store's parts added up (stats_merge.hpp).
#include "ops/stats_merge.hpp"

#include <algorithm>
#include <memory>

#include "store/use_histogram.hpp"

namespace cas::detail {
namespace {

void add_counts(StoreStats& into, const StoreStats& part) {
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
}

}  // namespace

void merge_stats(StoreStats& into, const StoreStats& part) {
  add_counts(into, part);
  if (!part.last_uses || part.last_uses->files.empty()) return;
  const bool had_uses = into.last_uses && !into.last_uses->files.empty();
  UseHistogram uses;
  for (const StoreStats* s : {static_cast<const StoreStats*>(&into), &part}) {
    if (!s->last_uses) continue;
    for (const auto& [start, files] : s->last_uses->files) {
      uses.add_cell(start, s->last_uses->width, files);
    }
  }
  into.oldest_use = had_uses ? std::min(into.oldest_use, part.oldest_use) : part.oldest_use;
  into.newest_use = had_uses ? std::max(into.newest_use, part.newest_use) : part.newest_use;
  into.median_use = std::max(into.oldest_use, uses.median());
  into.last_uses = std::make_shared<const LastUses>(LastUses{uses.width(), uses.file_counts()});
}

}  // namespace cas::detail
