// The `cas` tool against a careless user's slips (issue 26): an empty keep list, a truncated or
// malformed hash, a wrong --root, a source inside the store; and its messages, which say each
// thing once as "<operation> <path>: <reason>". Run as a separate process.
#include <pwd.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::read_file;
using test::RunResult;
using test::write_file;

using CasCliSafetyTest = test::CasCliFixture;
using test::sha256;

// --- messages: each thing once, "<operation> <path>: <reason>" ---------------------------------

TEST_F(CasCliSafetyTest, PutOfAMissingFileNamesItOnce) {
  const std::string missing = (dir_ / "missing").string();
  RunResult r = cas({"put", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cas: put " + missing + ": no such file\n");
}

TEST_F(CasCliSafetyTest, PerFileFailuresReadOperationPathReason) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run cas as nobody";
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  fs::permissions(dir_.path(), fs::owner_all | fs::group_read | fs::group_exe | fs::others_read |
                                   fs::others_exe);
  // nobody owns the root but not the bucket: the file in it can be neither read nor unlinked.
  const std::string locked = put_v1("locked");
  fs::permissions(v1_path(locked), fs::owner_read | fs::owner_write);
  ASSERT_EQ(::chown(root_.c_str(), nobody->pw_uid, nobody->pw_gid), 0);

  RunResult r = cas_as_nobody({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.err, "cas: verify: open " + v1_path(locked).string() + ": Permission denied\n");
  r = cas_as_nobody({"purge"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "cas: purge: unlink " + v1_path(locked).string() + ": Permission denied");
  EXPECT_TRUE(fs::exists(v1_path(locked)));
}

// --- gc and an empty keep list ------------------------------------------------------------------

TEST_F(CasCliSafetyTest, GcRefusesAKeepListWithoutAHash) {
  const std::string a = put_v1("a"), b = put_v1("b");
  const std::string comments = file("comments.txt", "# the release\n\n");
  const std::string some = file("some.txt", a + "\n");
  // `grep nomatch /dev/null | cas gc --keep -`: the failed step must not wipe the cache.
  EXPECT_USAGE(cas({"gc", "--keep", "-"}, ""),
               "cas: gc --keep: stdin: no hash in the list (an empty list keeps nothing: give "
               "--allow-empty-keep if that is meant)");
  // One empty list among others is refused too: what it was to keep would go.
  EXPECT_USAGE(cas({"gc", "--keep", some, "--keep", comments}),
               "cas: gc --keep: " + comments +
                   ": no hash in the list (an empty list keeps nothing: give "
                   "--allow-empty-keep if that is meant)");
  EXPECT_TRUE(fs::exists(v1_path(a)));
  EXPECT_TRUE(fs::exists(v1_path(b)));
  // Said explicitly, it runs.
  RunResult r = cas({"gc", "--allow-empty-keep", "--keep", some, "--keep", comments});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(v1_path(a)));
  EXPECT_FALSE(fs::exists(v1_path(b)));
  r = cas({"gc", "--allow-empty-keep", "--keep", "-"}, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(v1_path(a)));
}

// --- one rule for the root: a command that reads a store needs it ------------------------------

// Every command with arguments that would run it on an existing store.
std::vector<std::vector<std::string>> every_command(const std::string& hash,
                                                    const std::string& list) {
  return {{"put", list},
          {"insert", "--copy", hash, list},
          {"path", hash},
          {"cat", hash},
          {"rm", hash},
          {"ls"},
          {"migrate"},
          {"purge"},
          {"gc", "--keep", list},
          {"trim", "--max-files", "1"},
          {"verify"},
          {"stats"},
          {"pin", "ls"},
          {"pin", "add", "p", hash},
          {"pin", "rm", "p"},
          {"--remote", "http://127.0.0.1:9", "push"},
          {"sync", "--from", list + ".d"}};
}

TEST_F(CasCliSafetyTest, EveryCommandThatReadsAStoreRefusesAMissingRoot) {
  const std::string hash = sha256("x"), list = file("list", hash + "\n");
  fs::create_directories(list + ".d");
  for (const auto& args : every_command(hash, list)) {
    const std::string command = args[0] == "--remote" ? args[2] : args[0];
    if (command == "put" || command == "insert" || command == "sync") continue;
    SCOPED_TRACE(command);
    EXPECT_USAGE(cas(args), "cas: " + command + (command == "pin" ? " " + args[1] : "") + ": " +
                                root_.string() + ": no such directory");
    EXPECT_FALSE(fs::exists(root_));
  }
}

TEST_F(CasCliSafetyTest, CommandsThatAddContentCreateTheRoot) {
  const std::string hash = sha256("x"), source = file("x", "x");
  RunResult r = cas({"put", source});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(v1_path(hash)), "x");
  fs::remove_all(root_);
  r = cas({"insert", "--copy", hash, source});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(v1_path(hash)), "x");
  const fs::path source_store = root_;
  root_ = dir_ / "mirror";
  r = cas({"sync", "--from", source_store.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(v1_path(hash)), "x");
}

TEST_F(CasCliSafetyTest, ARootThatIsAFileIsAUsageErrorForEveryCommand) {
  const std::string hash = sha256("x"), list = file("list", hash + "\n");
  fs::create_directories(list + ".d");
  root_ = file("afile", "not a store");
  for (const auto& args : every_command(hash, list)) {
    const std::string command = args[0] == "--remote" ? args[2] : args[0];
    SCOPED_TRACE(command);
    EXPECT_USAGE(cas(args), "cas: " + command + (command == "pin" ? " " + args[1] : "") + ": " +
                                root_.string() + ": not a directory");
  }
  EXPECT_EQ(read_file(root_), "not a store");
}

TEST_F(CasCliSafetyTest, SyncFromAFileOrNothingSaysWhichItIs) {
  const std::string afile = file("afile", "");
  EXPECT_USAGE(cas({"sync", "--from", afile}), "cas: sync --from: " + afile + ": not a directory");
  const std::string missing = (dir_ / "missing").string();
  EXPECT_USAGE(cas({"sync", "--from", missing}),
               "cas: sync --from: " + missing + ": no such directory");
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CasCliSafetyTest, LsReportsUnrecognizedFilesAndSucceeds) {
  const std::string hash = put_v1("content");
  write_file(root_ / "README", "not a hash");
  RunResult r = cas({"ls"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, hash + "\n");
  EXPECT_EQ(r.err, "cas: ls: unrecognized file: README\n");
}

// --- insert checks what it is given -------------------------------------------------------------

TEST_F(CasCliSafetyTest, InsertChecksTheContentAgainstTheHash) {
  const std::string wrong = sha256("something else");
  for (const std::string mode : {"move", "copy"}) {
    SCOPED_TRACE(mode);
    const std::string source = file("download.part", "hello\n");
    std::vector<std::string> args = {"insert", wrong, source};
    if (mode == "copy") args.insert(args.begin() + 1, "--copy");
    RunResult r = cas(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "cas: insert " + wrong + ": " + source + ": content hashes to " +
                         sha256("hello\n") + ": nothing inserted (--no-verify skips this check)\n");
    EXPECT_EQ(read_file(source), "hello\n");
    EXPECT_FALSE(fs::exists(v1_path(wrong)));
  }
  // A right hash goes in; --no-verify takes the caller's word for it.
  const std::string source = file("download.part", "hello\n");
  EXPECT_EQ(cas({"insert", sha256("hello\n"), source}).exit_code, 0);
  EXPECT_EQ(read_file(v1_path(sha256("hello\n"))), "hello\n");
  RunResult r = cas({"insert", "--no-verify", wrong, file("unchecked", "hello\n")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(v1_path(wrong)), "hello\n");
}

TEST_F(CasCliSafetyTest, InsertRefusesASourceInsideTheStore) {
  const std::string a = put_v1("a"), b = put_v1("b");
  fs::create_directory_symlink(root_, dir_ / "link");
  for (const std::string& source :
       {v1_path(b).string(), (dir_ / "link" / v1_path(b).lexically_relative(root_)).string()}) {
    for (const std::string flag : {"--copy", "--no-verify"}) {
      SCOPED_TRACE(source + " " + flag);
      EXPECT_USAGE(cas({"insert", flag, a, source}),
                   "cas: insert " + source + ": inside the store " + root_.string() +
                       ": a stored file is never inserted (it would replace another)");
    }
  }
  EXPECT_EQ(read_file(v1_path(a)), "a");
  EXPECT_EQ(read_file(v1_path(b)), "b");
}

// --- put - ---------------------------------------------------------------------------------------

TEST_F(CasCliSafetyTest, PutDashReadsStdinAsSha256sumDoes) {
  RunResult r = cas({"put", "-"}, "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, sha256("hi\n") + "  -\n");
  EXPECT_EQ(r.out, test::run({"sha256sum", "-"}, "hi\n").out);
  EXPECT_EQ(read_file(v1_path(sha256("hi\n"))), "hi\n");
  // Stored with the mode a put of a file gets, and nothing left in the temp area.
  ASSERT_EQ(cas({"put", file("f", "from a file")}).exit_code, 0);
  EXPECT_EQ(fs::status(v1_path(sha256("hi\n"))).permissions(),
            fs::status(v1_path(sha256("from a file"))).permissions());
  EXPECT_TRUE(fs::is_empty(root_ / ".cas-tmp"));
  r = cas({"put", "--algo", "sha1", "-"}, "");
  EXPECT_EQ(r.out, hash_bytes("", HashAlgorithm::sha1) + "  -\n");
}

// --- smaller slips ------------------------------------------------------------------------------

TEST_F(CasCliSafetyTest, HelpCommandPrintsWhatHelpOptionsPrintWithoutARoot) {
  const auto help = [](std::vector<std::string> args) {
    args.insert(args.begin(), test::kCas);
    return test::run(args);
  };
  for (const std::vector<std::string>& topic :
       {std::vector<std::string>{}, {"gc"}, {"pin", "add"}, {"help"}}) {
    std::vector<std::string> words = {"help"}, flag = topic;
    words.insert(words.end(), topic.begin(), topic.end());
    flag.push_back("--help");
    SCOPED_TRACE(words.back());
    RunResult r = help(words);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, help(flag).out);
    EXPECT_NE(r.out.find("Usage: cas"), std::string::npos) << r.out;
  }
  EXPECT_USAGE(help({"help", "nosuch"}), "cas: help: unknown command 'nosuch'");
  EXPECT_USAGE(help({"help", "pin", "nosuch"}), "cas: help: unknown command 'pin nosuch'");
  EXPECT_USAGE(help({"ls"}), "cas: usage: --root is required");
}

TEST_F(CasCliSafetyTest, PinTtlMustBePositive) {
  fs::create_directories(root_);
  const std::string hash = sha256("x");
  for (const std::string ttl : {"0s", "0d"}) {
    EXPECT_USAGE(cas({"pin", "add", "x", hash, "--ttl", ttl}),
                 "cas: --ttl: '" + ttl + "' is not a positive age");
  }
  EXPECT_EQ(cas({"pin", "ls"}).out, "");
  EXPECT_EQ(cas({"pin", "add", "x", hash, "--ttl", "1s"}).exit_code, 0);
}

}  // namespace
}  // namespace cas
