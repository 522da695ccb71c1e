// The quantities the cache commands (trim, pin, stats) read and print: sizes, counts, ages,
// percentages, and times of day.
//
//   SIZE     decimal digits, optionally followed by K, M, G or T (powers of 1024): 1048576, 500M
//   COUNT    decimal digits: 100000
//   AGE      decimal digits followed by s, m, h or d: 45s, 90m, 12h, 30d; at most kMaxAge
//   PERCENT  decimal digits, 1 to 100
//
// The parsers are strict: no sign, no blanks, no empty text, no fraction, nothing after the
// unit, nothing that overflows. Each throws std::invalid_argument whose message quotes the text
// and says what was expected ("'12X' is not a size (bytes, or a number with K, M, G or T)"); the
// caller prefixes the option. Printed times are ISO-8601 UTC ("2026-11-26T17:20:36Z") and printed
// ages use the units AGE takes, so they read back as AGEs.
//
// Header-only so that the unit tests (tests/tools/cas_cli_units_test.cpp) compile it without the
// rest of the tool. Thread-safety: pure functions.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cas::cli {

// The longest AGE: 100 years, the longest lease cas::add_pin takes (a pin that must last
// longer simply has no ttl).
inline constexpr std::chrono::seconds kMaxAge{36500LL * 86400};

namespace units_detail {

inline std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// The value of `digits` when it is one or more ASCII digits and fits in 64 bits; nullopt when it
// is not all digits; `overflow` is set when it is all digits but too large.
inline std::optional<std::uint64_t> parse_digits(std::string_view digits, bool& overflow) {
  overflow = false;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) {
    overflow = true;
    return std::nullopt;
  }
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace units_detail

// A SIZE in bytes. Throws std::invalid_argument naming `text` when it is not a SIZE or does not
// fit in 64 bits.
inline std::uint64_t parse_size(std::string_view text) {
  using units_detail::quoted;
  const auto not_a_size = [&] {
    return std::invalid_argument(quoted(text) +
                                 " is not a size (bytes, or a number with K, M, G or T)");
  };
  unsigned shift = 0;
  std::string_view digits = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) digits.remove_suffix(1);
  }
  bool overflow = false;
  const auto value = units_detail::parse_digits(digits, overflow);
  if (!value && !overflow) throw not_a_size();
  if (overflow || *value > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    throw std::invalid_argument(quoted(text) + " is too large (at most 2^64-1 bytes)");
  }
  return *value << shift;
}

// A COUNT. Throws std::invalid_argument naming `text` when it is not a COUNT or does not fit in
// 64 bits; `what` names the things counted in the message ("files").
inline std::uint64_t parse_count(std::string_view text, std::string_view what) {
  bool overflow = false;
  const auto value = units_detail::parse_digits(text, overflow);
  if (overflow) throw std::invalid_argument(units_detail::quoted(text) + " is too large");
  if (!value) {
    throw std::invalid_argument(units_detail::quoted(text) + " is not a number of " +
                                std::string(what));
  }
  return *value;
}

// An AGE. Throws std::invalid_argument naming `text` when it is not an AGE or is longer than
// kMaxAge.
inline std::chrono::seconds parse_age(std::string_view text) {
  using units_detail::quoted;
  std::uint64_t unit = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        break;
    }
  }
  bool overflow = false;
  const auto value = unit == 0
                         ? std::nullopt
                         : units_detail::parse_digits(text.substr(0, text.size() - 1), overflow);
  if (!value && !overflow) {
    throw std::invalid_argument(quoted(text) +
                                " is not an age (a number with s, m, h or d: 45s, 90m, 12h, 30d)");
  }
  const auto max = static_cast<std::uint64_t>(kMaxAge.count());
  if (overflow || *value > max / unit) {
    throw std::invalid_argument(quoted(text) + " is too long (at most " +
                                std::to_string(max / 86400) + "d)");
  }
  return std::chrono::seconds(static_cast<std::int64_t>(*value * unit));
}

// A PERCENT. Throws std::invalid_argument naming `text` when it is not a whole number from 1 to
// 100.
inline unsigned parse_percent(std::string_view text) {
  bool overflow = false;
  const auto value = units_detail::parse_digits(text, overflow);
  if (!value || *value < 1 || *value > 100) {
    throw std::invalid_argument(units_detail::quoted(text) +
                                " is not a percentage (a whole number from 1 to 100)");
  }
  return static_cast<unsigned>(*value);
}

// `unix_seconds` as ISO-8601 UTC, "YYYY-MM-DDTHH:MM:SSZ".
inline std::string format_utc(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buffer[64];
  if (!::gmtime_r(&t, &tm) ||
      std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds);  // beyond what the C library can spell
  }
  return buffer;
}

// `seconds` as an AGE in its largest whole unit, rounded down: "45s", "90m" is "1h", "30d".
// A negative age (a time in the future) is "0s".
inline std::string format_age(std::int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds < 0 ? 0 : seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

}  // namespace cas::cli
