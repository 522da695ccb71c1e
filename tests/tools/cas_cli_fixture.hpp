// A fixture for tests that run the `cas` tool as a separate process on a scratch store (the
// safety tests: cas_cli_safety_test.cpp, cas_cli_hash_test.cpp).
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "test_util.hpp"

namespace cas::test {

#ifdef CAS_CLI
inline constexpr const char* kCas = CAS_CLI;
#else
inline constexpr const char* kCas = nullptr;
#endif

inline std::string sha256(const std::string& content) {
  return hash_bytes(content, HashAlgorithm::sha256);
}

class CasCliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    root_ = dir_ / "store";
  }

  // Runs `cas --root <root_> ARGS...` with `input` on stdin.
  RunResult cas(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {kCas, "--root", root_.string()});
    return run(args, input);
  }
  // Runs `cas --root <root_> ARGS...` as the user nobody (the caller checks is_root()).
  RunResult cas_as_nobody(std::vector<std::string> args) const {
    args.insert(args.begin(), {"runuser", "-u", "nobody", "--", kCas, "--root", root_.string()});
    return run(args);
  }
  // Writes `content` where V1 puts its sha256 and returns the hash.
  std::string put_v1(const std::string& content) const {
    const std::string hash = sha256(content);
    write_file(v1_path(hash), content);
    return hash;
  }
  boost::filesystem::path v1_path(const std::string& hash) const {
    return root_ / V1Layout().lookup(hash);
  }
  // Writes the file `name` in the scratch directory (outside the store); returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    write_file(dir_ / name, content);
    return (dir_ / name).string();
  }

  TempDir dir_;
  boost::filesystem::path root_;
};

// Expects exit 2, nothing on stdout, and `message` as the first line on stderr.
#define EXPECT_USAGE(result, message)                        \
  do {                                                       \
    const ::cas::test::RunResult& r_ = (result);             \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err;          \
    EXPECT_EQ(r_.out, "");                                   \
    EXPECT_EQ(r_.err.substr(0, r_.err.find('\n')), message); \
  } while (0)

}  // namespace cas::test
