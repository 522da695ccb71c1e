// Output formats: the one-line summaries of the bulk commands and the two forms of `stats`.
//
//   summary:     "<command>: key=value key=value ..." (then " dry_run=1" for a dry run)
//   stats text:  "layout <name>: files=N bytes=N" per layout in lookup order, then
//                "store: hashes=N unrecognized_files=N ... failed=N", then
//                "pins: pinned_hashes=N", then
//                "last use: oldest=T median=T newest=T oldest_age=A median_age=A newest_age=A"
//                (T an ISO-8601 UTC time, A an age as trim --max-age takes it; "none" for a
//                store without content)
//   stats json:  one JSON object (see format_stats_json)
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cas/operations.hpp"

namespace cas::cli {

using Counts = std::vector<std::pair<std::string_view, std::uint64_t>>;

// "<command>: k1=v1 k2=v2 ...", plus " dry_run=1" when `dry_run`; no newline.
std::string summary_line(std::string_view command, const Counts& counts, bool dry_run = false);

// The stats as text lines (each ending in '\n'), layouts in `lookup_order`; the ages of last
// use are counted back from `now` (seconds since the epoch).
std::string format_stats_text(const cas::StoreStats& stats,
                              const std::vector<std::string>& lookup_order, std::int64_t now);

// The stats as one JSON object on one line, followed by '\n'. Bytes of the root or of an error
// that are not valid UTF-8 (file names may hold any byte) become U+FFFD, so it always parses:
//   {"root": "/srv/cache", "lookup_order": ["v1", "v0"],
//    "layouts": {"v1": {"files": 3, "bytes": 300}, "v0": {"files": 0, "bytes": 0}},
//    "hashes": 3, "unrecognized_files": 0, "unrecognized_bytes": 0, "directories": 2,
//    "empty_directories": 0, "temp_files": 0, "quarantined_files": 0, "failed": 0,
//    "errors": [], "pinned_hashes": 1, "oldest_use": 1764000000, "median_use": 1764100000,
//    "newest_use": 1764177636}
// The last uses are seconds since the epoch, 0 for a store without content.
std::string format_stats_json(const cas::StoreStats& stats, std::string_view root,
                              const std::vector<std::string>& lookup_order);

}  // namespace cas::cli
