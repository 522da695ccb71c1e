#include "output.hpp"

#include <cstdio>

namespace cas::cli {
namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0 if there is none (overlong
// forms, surrogates and code points above U+10FFFF are invalid, as JSON parsers require).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t n;
  std::uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(i + k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
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
          {"quarantined_files", s.quarantined_files},
          {"failed", s.errors.failed}};
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

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (std::size_t n = utf8_sequence_length(s, i)) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

std::string format_stats_text(const cas::StoreStats& stats,
                              const std::vector<std::string>& lookup_order) {
  std::string out;
  for (const auto& name : lookup_order) {
    const auto& layout = stats_of(stats, name);
    out += summary_line("layout " + name, {{"files", layout.files}, {"bytes", layout.bytes}});
    out += '\n';
  }
  return out + summary_line("store", store_counts(stats)) + '\n';
}

std::string format_stats_json(const cas::StoreStats& stats, std::string_view root,
                              const std::vector<std::string>& lookup_order) {
  std::string out = "{\"root\": " + json_string(root) + ", \"lookup_order\": [";
  for (std::size_t i = 0; i < lookup_order.size(); ++i) {
    out += (i ? ", " : "") + json_string(lookup_order[i]);
  }
  out += "], \"layouts\": {";
  for (std::size_t i = 0; i < lookup_order.size(); ++i) {
    const auto& layout = stats_of(stats, lookup_order[i]);
    out += (i ? ", " : "") + json_string(lookup_order[i]) +
           ": {\"files\": " + std::to_string(layout.files) +
           ", \"bytes\": " + std::to_string(layout.bytes) + "}";
  }
  out += "}";
  for (const auto& [key, value] : store_counts(stats)) {
    out += ", " + json_string(key) + ": " + std::to_string(value);
  }
  out += ", \"errors\": [";
  for (std::size_t i = 0; i < stats.errors.errors.size(); ++i) {
    out += (i ? ", " : "") + json_string(stats.errors.errors[i]);
  }
  return out + "]}\n";
}

}  // namespace cas::cli
