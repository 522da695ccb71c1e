// `cas checkout`: one hash to a file, a manifest in sha256sum's format (its summary line, a
// missing hash failing only its line with exit 1), hostile lines refused with exit 2 before
// anything is written, reflink where the filesystem cannot clone exiting 1.
#include <linux/magic.h>

#include <gtest/gtest.h>

#include <boost/filesystem.hpp>

#include "checkout_test_util.hpp"
#include "tools/cas_cli_fixture.hpp"

namespace cas::test {
namespace {

namespace fs = boost::filesystem;

using CasCliCheckoutTest = CasCliFixture;

TEST_F(CasCliCheckoutTest, OneHashToAFile) {
  const std::string h = put_v1("one\n");
  const RunResult r = cas({"checkout", h, (dir_ / "out/one.txt").string(), "--link", "hardlink"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "checkout: reflinked=0 hardlinked=1 copied=0 symlinked=0 already_there=0 failed=0 "
            "bytes=4\n");
  EXPECT_TRUE(same_inode(dir_ / "out/one.txt", v1_path(h)));
}

TEST_F(CasCliCheckoutTest, AManifestWithAMissingHashFailsThatLineAndExits1) {
  const std::string a = put_v1("aaa\n"), c = put_v1("ccc\n");
  const std::string missing = sha256("not stored\n");
  const std::string manifest =
      file("manifest", a + "  x/a.txt\n" + missing + "  x/b.txt\n" + c + " *y/c.txt\n");
  const RunResult r = cas(
      {"checkout", "--manifest", manifest, (dir_ / "tree").string(), "--link", "copy", "-j", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto s = parse_summary(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(s.at(""), "checkout");
  EXPECT_EQ(s.at("copied"), "2");
  EXPECT_EQ(s.at("failed"), "1");
  EXPECT_EQ(s.at("bytes"), "8");
  EXPECT_NE(r.err.find("x/b.txt: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not in the store"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(dir_ / "tree/x/a.txt"), "aaa\n");
  EXPECT_EQ(read_file(dir_ / "tree/y/c.txt"), "ccc\n");
  EXPECT_FALSE(fs::exists(dir_ / "tree/x/b.txt"));
  // sha256sum -c checks the result, from the tree: the manifest is its format.
  const RunResult check = run(
      {"sh", "-c", "cd '" + (dir_ / "tree").string() + "' && sha256sum -c --quiet -", "ignored"},
      a + "  x/a.txt\n" + c + "  y/c.txt\n");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CasCliCheckoutTest, AManifestFromStdinAndAlreadyThere) {
  const std::string a = put_v1("aaa\n");
  const std::string tree = (dir_ / "tree").string();
  EXPECT_EQ(cas({"checkout", "--manifest", "-", tree}, a + "  a\n").exit_code, 0);
  const RunResult again = cas({"checkout", "--manifest", "-", tree}, a + "  a\n");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(parse_summary(again.out.substr(0, again.out.find('\n'))).at("already_there"), "1");
}

TEST_F(CasCliCheckoutTest, HostileLinesExit2AndWriteNothing) {
  const std::string a = put_v1("aaa\n");
  for (const std::string& line :
       {a + "  ../escape", a + "  /etc/passwd", a + "  a//b", a.substr(0, 12) + "  short-hash",
        a + " one-space", std::string("not-a-hash  x")}) {
    const std::string manifest = file("manifest", a + "  fine\n" + line + "\n");
    const RunResult r = cas({"checkout", "--manifest", manifest, (dir_ / "tree").string()});
    EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.err;
    EXPECT_NE(r.err.find("manifest:2"), std::string::npos) << r.err;
  }
  EXPECT_EQ(
      cas({"checkout", "--manifest", (dir_ / "none").string(), (dir_ / "tree").string()}).exit_code,
      2);
  EXPECT_EQ(cas({"checkout", "0000", (dir_ / "f").string()}).exit_code, 2);
  EXPECT_EQ(cas({"checkout", a, (dir_ / "f").string(), "--link", "clone"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "tree"));
  EXPECT_FALSE(fs::exists(dir_ / "escape"));
  EXPECT_FALSE(fs::exists(dir_ / "f"));
}

TEST_F(CasCliCheckoutTest, ReflinkWhereTheFilesystemCannotCloneExits1) {
  if (!on_filesystem(dir_.path(), EXT4_SUPER_MAGIC)) GTEST_SKIP() << "needs ext4 (no reflinks)";
  const std::string a = put_v1("aaa\n");
  const RunResult r = cas({"checkout", a, (dir_ / "f").string(), "--link", "reflink"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Operation not supported"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "f"));
}

}  // namespace
}  // namespace cas::test
