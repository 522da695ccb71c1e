#include "output.hpp"

#include <nlohmann/json.hpp>

#include "units.hpp"

namespace cas::cli {
namespace {

using Json = nlohmann::ordered_json;  // keeps the keys in the order they were added

// The library's own escaping; bytes that are not UTF-8 become U+FFFD rather than an exception.
std::string dump_scalar(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Appends `value` on one line with ", " and ": " between items, the documented form (Python's
// json.dumps default); nlohmann's one-line dump has no spaces and its indented one has newlines.
void dump_spaced(const Json& value, std::string& out) {
  if (!value.is_structured()) {
    out += dump_scalar(value);
    return;
  }
  out += value.is_object() ? '{' : '[';
  const char* separator = "";
  for (const auto& item : value.items()) {
    out += separator;
    separator = ", ";
    if (value.is_object()) out += dump_scalar(item.key()) + ": ";
    dump_spaced(item.value(), out);
  }
  out += value.is_object() ? '}' : ']';
}

const cas::LayoutStats& stats_of(const cas::StoreStats& stats, const std::string& layout) {
  static const cas::LayoutStats kNone;
  auto it = stats.layouts.find(layout);
  return it == stats.layouts.end() ? kNone : it->second;
}

Counts store_counts(const cas::StoreStats& s) {
  return {{"hashes", s.hashes},
          {"unrecognized_files", s.unrecognized_files},
          {"unrecognized_bytes", s.unrecognized_bytes},
          {"directories", s.directories},
          {"empty_directories", s.empty_directories},
          {"temp_files", s.temp_files},
          {"temp_bytes", s.temp_bytes},
          {"quarantined_files", s.quarantined_files},
          {"failed", s.failed}};
}

}  // namespace

std::string summary_line(std::string_view command, const Counts& counts, bool dry_run) {
  std::string line(command);
  line += ':';
  for (const auto& [key, value] : counts) {
    line += ' ';
    line += key;
    line += '=';
    line += std::to_string(value);
  }
  if (dry_run) line += " dry_run=1";
  return line;
}

std::string format_stats_text(const cas::StoreStats& stats,
                              const std::vector<std::string>& lookup_order, std::int64_t now) {
  std::string out;
  for (const auto& name : lookup_order) {
    const auto& layout = stats_of(stats, name);
    out += summary_line("layout " + name, {{"files", layout.files}, {"bytes", layout.bytes}});
    out += '\n';
  }
  out += summary_line("store", store_counts(stats)) + '\n';
  out += summary_line("pins", {{"pinned_hashes", stats.pinned_hashes}}) + '\n';
  // The library says 0 for "no content"; 0 is also a real mtime (1970), so ask the count.
  const bool none = stats.hashes == 0;
  const std::pair<const char*, std::int64_t> uses[] = {
      {"oldest", stats.oldest_use}, {"median", stats.median_use}, {"newest", stats.newest_use}};
  out += "last use:";
  for (const auto& [key, when] : uses) {
    out += std::string(" ") + key + "=" + (none ? "none" : format_utc(when));
  }
  for (const auto& [key, when] : uses) {
    out += std::string(" ") + key + "_age=" + (none ? "none" : format_age(now - when));
  }
  return out + '\n';
}

std::string format_stats_json(const cas::StoreStats& stats, std::string_view root,
                              const std::vector<std::string>& lookup_order) {
  Json doc = {{"root", root}, {"lookup_order", lookup_order}, {"layouts", Json::object()}};
  for (const auto& name : lookup_order) {
    const auto& layout = stats_of(stats, name);
    doc["layouts"][name] = {{"files", layout.files}, {"bytes", layout.bytes}};
  }
  for (const auto& [key, value] : store_counts(stats)) doc[std::string(key)] = value;
  doc["errors"] = stats.errors;
  // Added after the keys above, which keep their order for the readers that rely on it.
  doc["pinned_hashes"] = stats.pinned_hashes;
  doc["oldest_use"] = stats.oldest_use;
  doc["median_use"] = stats.median_use;
  doc["newest_use"] = stats.newest_use;
  std::string out;
  dump_spaced(doc, out);
  return out + '\n';
}

}  // namespace cas::cli
