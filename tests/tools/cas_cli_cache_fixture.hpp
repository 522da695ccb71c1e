// The fixture of the tests of the `cas` cache commands (tools/cas_cli_trim_test.cpp,
// tools/cas_cli_pin_test.cpp): a store of numbered files, each last used when the test says.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/pins.hpp"
#include "cas/store.hpp"
#include "tools/cas_cli_fixture.hpp"

namespace cas::test {

class CasCliCacheTest : public CasCliFixture {
 protected:
  static inline const std::time_t kNow = std::time(nullptr);
  static constexpr std::time_t kDay = 86400;

  void SetUp() override {
    CasCliFixture::SetUp();
    root_ = dir_ / "cache";
  }

  static std::string content_of(int i) { return "cached file " + std::to_string(i); }
  static std::string hash_of(int i) { return sha256(content_of(i)); }
  boost::filesystem::path path_of(int i) const { return root_ / V1Layout().lookup(hash_of(i)); }

  // Files 0..n-1 under V1, file i last used `age(i)` seconds ago.
  template <typename Age>
  void populate(int n, Age age) {
    for (int i = 0; i < n; ++i) {
      write_file(path_of(i), content_of(i));
      set_mtime(path_of(i), kNow - age(i));
    }
  }

  // Pins `hash` as `name` with a lease that has already run out, through the library: cas pin
  // add refuses a --ttl that is not positive.
  void add_lapsed_pin(const std::string& name, const std::string& hash) const {
    Store store(root_);
    add_pin(store, name, {hash}, std::chrono::seconds(0));
  }

  std::set<int> present(int n) const {
    std::set<int> out;
    for (int i = 0; i < n; ++i) {
      if (boost::filesystem::exists(path_of(i))) out.insert(i);
    }
    return out;
  }

  static std::set<int> range(int from, int to) {
    std::set<int> out;
    for (int i = from; i < to; ++i) out.insert(i);
    return out;
  }

  // "YYYY-MM-DDTHH:MM:SSZ" as seconds since the epoch; -1 when it is not that.
  static std::time_t parse_utc(const std::string& text) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return end && *end == '\0' ? ::timegm(&tm) : -1;
  }

  static std::time_t mtime_of(const boost::filesystem::path& p) {
    struct stat st;
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mtime;
  }

  // Every directory and file under `root` (relative), to tell that nothing changed: unlike
  // CasCliFixture::snapshot, which it hides, without the files' content.
  static std::set<std::string> snapshot(const boost::filesystem::path& root) {
    namespace fs = boost::filesystem;
    std::set<std::string> entries;
    if (!fs::exists(root)) return entries;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
      entries.insert(it->path().lexically_relative(root).string());
    }
    return entries;
  }
};

// Expects a usage error: exit 2, nothing on stdout, exactly `message` on stderr.
#define EXPECT_USAGE_ERROR_SAYING(result, message)  \
  do {                                              \
    const ::cas::test::RunResult& r_ = (result);    \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err; \
    EXPECT_EQ(r_.out, "");                          \
    EXPECT_EQ(r_.err, message);                     \
  } while (0)

}  // namespace cas::test
