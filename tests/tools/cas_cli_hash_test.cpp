// The hashes `cas` takes: full digests for what writes, removes, pins or fetches (a truncated
// hash is refused, never stored or kept under the wrong name), and unique prefixes of 4 or more
// digits for path and cat, resolved in the store as git resolves abbreviations.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::read_file;
using test::RunResult;
using test::write_file;

using CasCliHashTest = test::CasCliFixture;
using test::sha256;

const std::string kNotFull = "not a full hash (40, 64 or 128 hex digits)";

TEST_F(CasCliHashTest, InsertTakesOnlyAFullHash) {
  const std::string source = file("hello.txt", "hello\n");
  for (const std::string& bad : {std::string("0000"), sha256("hello\n").substr(0, 63)}) {
    SCOPED_TRACE(bad);
    EXPECT_USAGE(cas({"insert", bad, source}), "cas: insert " + bad + ": " + kNotFull);
    EXPECT_USAGE(cas({"insert", "--copy", bad, source}), "cas: insert " + bad + ": " + kNotFull);
  }
  EXPECT_EQ(read_file(source), "hello\n");
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CasCliHashTest, PinAndPullTakeOnlyFullHashes) {
  fs::create_directories(root_);
  const std::string full = sha256("x");
  EXPECT_USAGE(cas({"pin", "add", "p", full, "abcd"}), "cas: pin add abcd: " + kNotFull);
  EXPECT_EQ(cas({"pin", "ls"}).out, "");
  // Refused before any request: the remote is never asked.
  EXPECT_USAGE(cas({"--remote", "http://127.0.0.1:9", "pull", full, "abcd"}),
               "cas: pull abcd: " + kNotFull);
}

TEST_F(CasCliHashTest, ListsTakeOnlyFullHashes) {
  const std::string hash = put_v1("kept");
  const std::string list = file("keep.txt", "# the release\n" + hash.substr(0, 12) + "  kept\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"gc", "--keep", list}, {"pin", "add", "p", "--keep", list}}) {
    SCOPED_TRACE(args[0]);
    EXPECT_USAGE(cas(args), "cas: " + list + ":2: " + hash.substr(0, 12) + ": " + kNotFull);
  }
  EXPECT_TRUE(fs::exists(v1_path(hash)));  // gc would have removed it: the line matched nothing
}

TEST_F(CasCliHashTest, PathAndCatResolveAUniquePrefix) {
  const std::string hash = put_v1("hello\n");
  put_v1("world\n");
  // (40 digits would be a full sha1 digest, taken as it is.)
  for (std::size_t digits : {4, 7, 39, 41, 63}) {
    const std::string prefix = hash.substr(0, digits);
    SCOPED_TRACE(prefix);
    RunResult r = cas({"path", prefix});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, v1_path(hash).string() + "\n");
    r = cas({"cat", prefix});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello\n");
  }
}

TEST_F(CasCliHashTest, APrefixResolvesUnderEveryLayout) {
  // A V0 file is found by its prefix (and migrated by the lookup, as a full hash would be).
  const std::string v0 = sha256("old");
  write_file(root_ / V0Layout().lookup(v0), "old");
  RunResult r = cas({"cat", v0.substr(0, 6)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "old");
  // fanout:3 places a hash under a top-level name of three digits.
  const std::string fanned = sha256("fanned");
  write_file(root_ / FanoutLayout({3}).lookup(fanned), "fanned");
  r = cas({"--layouts", "fanout:3,v1", "cat", fanned.substr(0, 5)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "fanned");
}

TEST_F(CasCliHashTest, AnAmbiguousPrefixListsTheCandidates) {
  const std::string a = "abcd" + std::string(60, '1'), b = "abcd" + std::string(60, '2');
  write_file(v1_path(a), "a");
  write_file(v1_path(b), "b");
  for (const std::string command : {"path", "cat"}) {
    SCOPED_TRACE(command);
    RunResult r = cas({command, "abcd"});
    EXPECT_USAGE(r, "cas: " + command +
                        " abcd: ambiguous prefix: 2 stored hashes begin with it (give more "
                        "digits):");
    EXPECT_NE(r.err.find("\n  " + a + "\n  " + b + "\n"), std::string::npos) << r.err;
  }
  RunResult r = cas({"cat", "abcd2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "b");
}

TEST_F(CasCliHashTest, APrefixThatBeginsNoHashIsNotInTheStore) {
  put_v1("hello\n");
  for (const std::string command : {"path", "cat"}) {
    RunResult r = cas({command, "0123"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "cas: " + command + " 0123: not in the store\n");
  }
}

TEST_F(CasCliHashTest, APrefixTooShortIsAMalformedHashNotAMiss) {
  const std::string hash = put_v1("hello\n");
  for (const std::string command : {"path", "cat"}) {
    for (const std::string& prefix : {hash.substr(0, 1), hash.substr(0, 3)}) {
      SCOPED_TRACE(command + " " + prefix);
      EXPECT_USAGE(cas({command, prefix}),
                   "cas: " + command + " " + prefix + ": " + kNotFull +
                       ", and too short a prefix to resolve (4 digits at least)");
    }
  }
}

TEST_F(CasCliHashTest, RmTakesNoPrefixAndRemovesNothingThen) {
  const std::string hash = put_v1("hello\n"), other = put_v1("world\n");
  const std::string prefix = hash.substr(0, 8);
  EXPECT_USAGE(cas({"rm", other, prefix}), "cas: rm " + prefix + ": " + kNotFull +
                                               "; rm takes no prefix ('cas path " + prefix +
                                               "' shows the hash it begins)");
  EXPECT_TRUE(fs::exists(v1_path(hash)));
  EXPECT_TRUE(fs::exists(v1_path(other)));
  RunResult r = cas({"rm", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(v1_path(hash)));
}

TEST_F(CasCliHashTest, ANameOfAnotherLengthIsTakenWhenStoredAsGiven) {
  // The library stores names of 2 to 128 digits; one stored so is no prefix but itself.
  const std::string name = "abcdef12";
  write_file(v1_path(name), "short name");
  write_file(v1_path(name + std::string(56, '0')), "longer");
  RunResult r = cas({"cat", name});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "short name");
  r = cas({"rm", name});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(v1_path(name)));
  EXPECT_TRUE(fs::exists(v1_path(name + std::string(56, '0'))));
}

}  // namespace
}  // namespace cas
