// The fixture and helpers of the tests that run the `cas` tool as a separate process on a
// scratch store (tools/cas_cli_*_test.cpp): running it, placing files, reading the store back.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cas/layout.hpp"
#include "test_util.hpp"

namespace cas::test {

#ifdef CAS_CLI
inline constexpr const char* kCas = CAS_CLI;
#else
inline constexpr const char* kCas = nullptr;
#endif

class CasCliFixture : public ::testing::Test {
 protected:
  // What cas() and its kin return (test_util.hpp), by its short name in the tests.
  using RunResult = test::RunResult;

  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    root_ = dir_ / "store";
  }

  // Runs `cas ARGS...` (no --root added).
  static RunResult cas_raw(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), kCas);
    return run(args, input);
  }
  // Runs `cas --root <root_> ARGS...` with `input` on stdin.
  RunResult cas(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--root", root_.string()});
    return cas_raw(std::move(args), input);
  }
  // Runs `cas --root <root_> ARGS...` as the user nobody, for real EACCES faults (root ignores
  // file modes; the caller checks is_root()).
  RunResult cas_as_nobody(std::vector<std::string> args) const {
    args.insert(args.begin(), {"runuser", "-u", "nobody", "--", kCas, "--root", root_.string()});
    return run(args);
  }

  // Writes `content` at the place `layout` gives `hash` under the store's root.
  void place(const Layout& layout, const std::string& hash, const std::string& content) const {
    write_file(root_ / layout.lookup(hash), content);
  }
  // Writes `content` where V1 puts its sha256 and returns the hash.
  std::string put_v1(const std::string& content) const {
    const std::string hash = sha256(content);
    place(V1Layout(), hash, content);
    return hash;
  }
  // Writes `content` where V0 puts its sha256 and returns the hash.
  std::string put_v0(const std::string& content) const {
    const std::string hash = sha256(content);
    place(V0Layout(), hash, content);
    return hash;
  }
  boost::filesystem::path v1_path(const std::string& hash) const {
    return root_ / V1Layout().lookup(hash);
  }
  boost::filesystem::path v0_path(const std::string& hash) const {
    return root_ / V0Layout().lookup(hash);
  }
  // Writes the file `name` in the scratch directory (outside the store); returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    write_file(dir_ / name, content);
    return (dir_ / name).string();
  }

  // `text`'s lines, as a set.
  static std::set<std::string> line_set(const std::string& text) {
    auto lines = lines_of(text);
    return {lines.begin(), lines.end()};
  }
  // Everything under `root`: "d <rel>" for directories, "f <rel> <content>" for files.
  static std::set<std::string> snapshot(const boost::filesystem::path& root) {
    namespace fs = boost::filesystem;
    std::set<std::string> entries;
    if (!fs::exists(root)) return entries;
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
      std::string rel = it->path().lexically_relative(root).string();
      if (fs::is_directory(it->symlink_status())) {
        entries.insert("d " + rel);
      } else {
        entries.insert("f " + rel + " " + read_file(it->path()));
      }
    }
    return entries;
  }

  TempDir dir_;
  boost::filesystem::path root_;
};

// The suite of the tests of `cas`'s commands (cas_cli_test.cpp and the cas_cli_<command>_test.cpp
// files beside it).
using CasCliTest = CasCliFixture;

// Expects exit 2, nothing on stdout, and `message` as the first line on stderr.
#define EXPECT_USAGE(result, message)                        \
  do {                                                       \
    const ::cas::test::RunResult& r_ = (result);             \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err;          \
    EXPECT_EQ(r_.out, "");                                   \
    EXPECT_EQ(r_.err.substr(0, r_.err.find('\n')), message); \
  } while (0)

// Expects a usage error: exit 2, nothing on stdout, one `cas: ...` message on stderr.
#define EXPECT_USAGE_ERROR(result)                     \
  do {                                                 \
    const ::cas::test::RunResult& r_ = (result);       \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err;    \
    EXPECT_EQ(r_.out, "");                             \
    EXPECT_EQ(r_.err.rfind("cas: ", 0), 0u) << r_.err; \
  } while (0)

}  // namespace cas::test
