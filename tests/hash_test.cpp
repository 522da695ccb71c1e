#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

// FIPS 180 test vectors.
TEST(HashTest, KnownAnswersForAbc) {
  EXPECT_EQ(hash_bytes("abc", HashAlgorithm::sha1), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hash_bytes("abc", HashAlgorithm::sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_bytes("abc", HashAlgorithm::sha512),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(HashTest, KnownAnswersForEmptyInput) {
  EXPECT_EQ(hash_bytes("", HashAlgorithm::sha1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hash_bytes("", HashAlgorithm::sha256),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_bytes("", HashAlgorithm::sha512).substr(0, 32),
            "cf83e1357eefb8bdf1542850d66d8007");
}

TEST(HashTest, MillionAsMatchesFipsVector) {
  EXPECT_EQ(hash_bytes(std::string(1000000, 'a'), HashAlgorithm::sha256),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(HashTest, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 7 + i / 13);
  for (auto algo : {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
    Hasher h(algo);
    std::size_t pos = 0, step = 1;
    while (pos < data.size()) {
      std::size_t n = std::min(step, data.size() - pos);
      h.update(data.data() + pos, n);
      pos += n;
      step = step * 3 + 1;
    }
    EXPECT_EQ(h.finish(), hash_bytes(data, algo)) << to_string(algo);
  }
}

TEST(HashTest, FinishTwiceThrows) {
  Hasher h(HashAlgorithm::sha256);
  h.finish();
  EXPECT_THROW(h.finish(), Error);
  EXPECT_THROW(h.update("x"), Error);
}

TEST(HashTest, HashFileMatchesBytesAndSha256sum) {
  test::TempDir dir;
  std::string data(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < data.size(); i += 4093) data[i] = static_cast<char>(i);
  test::write_file(dir / "f", data);
  std::string h = hash_file(dir / "f", HashAlgorithm::sha256);
  EXPECT_EQ(h, hash_bytes(data, HashAlgorithm::sha256));
  auto r = test::run({"sha256sum", (dir / "f").string()});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, 64), h);
}

TEST(HashTest, HashFileNamesMissingPath) {
  test::TempDir dir;
  try {
    hash_file(dir / "missing", HashAlgorithm::sha1);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

TEST(HashTest, AlgorithmNamesAndLengths) {
  EXPECT_EQ(parse_hash_algorithm("sha1"), HashAlgorithm::sha1);
  EXPECT_EQ(parse_hash_algorithm("sha512"), HashAlgorithm::sha512);
  EXPECT_THROW(parse_hash_algorithm("md5"), InvalidArgumentError);
  EXPECT_EQ(algorithm_for_length(40), HashAlgorithm::sha1);
  EXPECT_EQ(algorithm_for_length(64), HashAlgorithm::sha256);
  EXPECT_EQ(algorithm_for_length(128), HashAlgorithm::sha512);
  EXPECT_FALSE(algorithm_for_length(32).has_value());
  for (auto a : {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
    EXPECT_EQ(hash_bytes("x", a).size(), hex_length(a));
  }
}

}  // namespace
}  // namespace cas
