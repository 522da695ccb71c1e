// The quantities of the `cas` cache commands (tools/cas_cli/units.hpp): SIZE, COUNT, AGE and
// PERCENT parse strictly, and printed times and ages read as documented.
#include "../../tools/cas_cli/units.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace cas::cli {
namespace {

// The message parse(text) throws, or "" when it does not throw.
template <typename Parse>
std::string error_of(Parse parse, const std::string& text) {
  try {
    parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(CasCliUnitsTest, SizeTakesBytesOrPowersOf1024) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1048576"), 1048576u);
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("500M"), 500ull << 20);
  EXPECT_EQ(parse_size("2G"), 2ull << 30);
  EXPECT_EQ(parse_size("3T"), 3ull << 40);
  EXPECT_EQ(parse_size("007"), 7u);
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_size("16777215T"), 16777215ull << 40);  // the largest T that fits
}

TEST(CasCliUnitsTest, SizeRejectsAnythingElseNamingTheText) {
  for (const char* bad : {"", "K", "12X", "-1", "+1", " 1", "1 ", "1.5G", "1KB", "1k", "1g", "1KK",
                          "0x10", "1e3", "G1"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of(parse_size, bad),
              "'" + std::string(bad) + "' is not a size (bytes, or a number with K, M, G or T)");
  }
}

TEST(CasCliUnitsTest, SizeRejectsOverflow) {
  for (const char* big : {"18446744073709551616", "99999999999999999999999", "16777216T",
                          "17179869184G", "17592186044416M", "18014398509481984K"}) {
    SCOPED_TRACE(big);
    EXPECT_EQ(error_of(parse_size, big),
              "'" + std::string(big) + "' is too large (at most 2^64-1 bytes)");
  }
}

TEST(CasCliUnitsTest, CountTakesPlainDigitsOnly) {
  const auto files = [](const std::string& text) { return parse_count(text, "files"); };
  EXPECT_EQ(files("0"), 0u);
  EXPECT_EQ(files("100000"), 100000u);
  EXPECT_EQ(files("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "1K", "1 ", "ten"}) {
    EXPECT_EQ(error_of(files, bad), "'" + std::string(bad) + "' is not a number of files") << bad;
  }
  EXPECT_EQ(error_of(files, "18446744073709551616"), "'18446744073709551616' is too large");
}

TEST(CasCliUnitsTest, AgeTakesSecondsMinutesHoursAndDays) {
  EXPECT_EQ(parse_age("45s").count(), 45);
  EXPECT_EQ(parse_age("90m").count(), 90 * 60);
  EXPECT_EQ(parse_age("12h").count(), 12 * 3600);
  EXPECT_EQ(parse_age("30d").count(), 30 * 86400);
  EXPECT_EQ(parse_age("0s").count(), 0);
  EXPECT_EQ(parse_age("36500d"), kMaxAge);
  EXPECT_EQ(parse_age("3153600000s"), kMaxAge);
}

TEST(CasCliUnitsTest, AgeRejectsAnythingElseNamingTheText) {
  for (const char* bad :
       {"", "d", "30", "3w", "-1d", "+1d", "1.5h", " 1d", "1d ", "1D", "1dd", "1d2h", "d1"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of(parse_age, bad),
              "'" + std::string(bad) +
                  "' is not an age (a number with s, m, h or d: 45s, 90m, 12h, 30d)");
  }
}

TEST(CasCliUnitsTest, AgeRejectsMoreThanAHundredYearsAndOverflow) {
  for (const char* big : {"36501d", "3153600001s", "876001h", "99999999999999999999d",
                          "18446744073709551615s", "307445734561825861m"}) {
    SCOPED_TRACE(big);
    EXPECT_EQ(error_of(parse_age, big), "'" + std::string(big) + "' is too long (at most 36500d)");
  }
}

TEST(CasCliUnitsTest, PercentIsAWholeNumberFrom1To100) {
  EXPECT_EQ(parse_percent("1"), 1u);
  EXPECT_EQ(parse_percent("90"), 90u);
  EXPECT_EQ(parse_percent("100"), 100u);
  for (const char* bad : {"", "0", "101", "-5", "90%", "0.9", "1e2", "99999999999999999999999"}) {
    EXPECT_EQ(error_of(parse_percent, bad),
              "'" + std::string(bad) + "' is not a percentage (a whole number from 1 to 100)")
        << bad;
  }
}

TEST(CasCliUnitsTest, TimesAreIso8601Utc) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(1764177636), "2025-11-26T17:20:36Z");
  EXPECT_EQ(format_utc(951782400), "2000-02-29T00:00:00Z");
}

TEST(CasCliUnitsTest, AgesUseTheLargestWholeUnitAndReadBackAsAges) {
  EXPECT_EQ(format_age(0), "0s");
  EXPECT_EQ(format_age(59), "59s");
  EXPECT_EQ(format_age(60), "1m");
  EXPECT_EQ(format_age(5399), "1h");
  EXPECT_EQ(format_age(86399), "23h");
  EXPECT_EQ(format_age(3 * 86400 + 7), "3d");
  EXPECT_EQ(format_age(-30), "0s");  // a time in the future
  for (std::int64_t seconds : {0, 45, 5400, 90000, 400 * 86400}) {
    const std::string text = format_age(seconds);
    EXPECT_LE(parse_age(text).count(), seconds) << text;
  }
}

}  // namespace
}  // namespace cas::cli
