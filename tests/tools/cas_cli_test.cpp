// The `cas` command-line tool, run as a separate process: its global options, usage errors
// and exit codes, per-file failures in bulk commands, and the progress bar.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/cas_cli_fixture.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::CasCliTest, test::RunResult, test::kCas, test::parse_summary, test::read_file,
    test::sha256, test::write_file;

// Every command, for the tests that go through all of them.
const std::vector<std::string> kCommands = {"put",  "insert",  "path",  "cat", "rm",
                                            "ls",   "migrate", "purge", "gc",  "trim",
                                            "sync", "verify",  "stats", "pin"};

// Runs argv with stdin and stdout on /dev/null and stderr on a pseudo-terminal; returns the exit
// code and what the terminal received (in `err`).
RunResult run_with_terminal_stderr(const std::vector<std::string>& argv) {
  RunResult result;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return result;
  // The parent holds the terminal's slave side open too, so reading the master never fails
  // with EIO before the child has opened it; the child's exit ends the loop instead.
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return result;
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(slave, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[4096];
  int status = 0;
  for (bool exited = false; !exited;) {
    // Drain while the child runs, so that it never blocks on a full terminal buffer.
    pollfd p{master, POLLIN, 0};
    ::poll(&p, 1, 20);
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) result.err.append(buf, n);
  }
  ::close(slave);
  ::close(master);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// --- global options and usage errors ---------------------------------------------------------

TEST_F(CasCliTest, HelpExitsZeroForTheToolAndEveryCommand) {
  RunResult r = cas_raw({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: cas"), std::string::npos) << r.out;
  for (const auto& command : kCommands) {
    EXPECT_NE(r.out.find("  " + command + " "), std::string::npos) << command;
    RunResult sub = cas_raw({command, "--help"});
    EXPECT_EQ(sub.exit_code, 0) << command << ": " << sub.err;
    EXPECT_NE(sub.out.find("Usage: cas " + command), std::string::npos) << sub.out;
    EXPECT_NE(sub.out.find("Exit status: 0"), std::string::npos) << sub.out;
    EXPECT_EQ(sub.err, "");
  }
}

// The version that project() declares, which every tool prints (tools/cli_common.cmake).
std::string project_version() {
  std::smatch m;
  std::string cmake = read_file(fs::path(CAS_SOURCE_DIR) / "CMakeLists.txt");
  return std::regex_search(cmake, m, std::regex(R"(project\(cas VERSION ([0-9.]+))")) ? m.str(1)
                                                                                      : "?";
}

TEST_F(CasCliTest, VersionPrintsTheProjectVersion) {
  RunResult r = cas_raw({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "cas " + project_version() + "\n");
}

TEST_F(CasCliTest, NoRootIsAUsageError) {
  EXPECT_USAGE_ERROR(cas_raw({"ls"}));
  EXPECT_USAGE_ERROR(cas_raw({"migrate"}));
  EXPECT_USAGE_ERROR(cas_raw({"--root", "", "ls"}));
}

TEST_F(CasCliTest, NoCommandOrAnUnknownOneIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({}));
  EXPECT_USAGE_ERROR(cas({"frobnicate"}));
  EXPECT_USAGE_ERROR(cas({"ls", "--no-such-option"}));
}

TEST_F(CasCliTest, ExtraArgumentIsAUsageError) {
  fs::create_directories(root_);
  EXPECT_USAGE_ERROR(cas({"ls", "extra"}));
  EXPECT_USAGE_ERROR(cas({"path", sha256("a"), "extra"}));
  EXPECT_USAGE_ERROR(cas({"insert", sha256("a"), "file", "extra"}));
  EXPECT_USAGE_ERROR(cas({"gc", "--keep", "a", "b"}));
}

TEST_F(CasCliTest, MissingArgumentIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"put"}));
  EXPECT_USAGE_ERROR(cas({"insert", sha256("a")}));
  EXPECT_USAGE_ERROR(cas({"path"}));
  EXPECT_USAGE_ERROR(cas({"gc"}));
  EXPECT_USAGE_ERROR(cas({"sync"}));
}

TEST_F(CasCliTest, UnknownLayoutIsAUsageError) {
  RunResult r = cas({"--layouts", "v1,v9", "ls"});
  EXPECT_USAGE_ERROR(r);
  EXPECT_NE(r.err.find("cas: --layouts: "), std::string::npos) << r.err;
  EXPECT_USAGE_ERROR(cas({"--layouts", "", "ls"}));
  EXPECT_USAGE_ERROR(cas({"--layouts", "v1,v1", "ls"}));
}

TEST_F(CasCliTest, FanoutLayoutSpecWithCommasIsParsedAndPreferredFirst) {
  write_file(dir_ / "f", "fanout content");
  const std::string hash = sha256("fanout content");
  RunResult r = cas({"--layouts", "fanout:2,2,v1,v0", "put", (dir_ / "f").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root_ / FanoutLayout({2, 2}).lookup(hash)));
  EXPECT_FALSE(fs::exists(v1_path(hash)));

  // With v1 preferred, a lookup migrates the fanout copy.
  r = cas({"--layouts", "v1,fanout:2,2,v0", "path", hash});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v1_path(hash).string() + "\n");
}

TEST_F(CasCliTest, UnknownAlgorithmIsAUsageError) {
  write_file(dir_ / "f", "x");
  EXPECT_USAGE_ERROR(cas({"put", "--algo", "md5", (dir_ / "f").string()}));
  fs::create_directories(root_);
  EXPECT_USAGE_ERROR(cas({"verify", "--algo", "SHA256"}));
  EXPECT_FALSE(fs::exists(v1_path(sha256("x"))));
}

TEST_F(CasCliTest, BadThreadCountIsAUsageError) {
  fs::create_directories(root_);
  EXPECT_USAGE_ERROR(cas({"migrate", "-j", "-1"}));
  EXPECT_USAGE_ERROR(cas({"migrate", "-j", "many"}));
  EXPECT_USAGE_ERROR(cas({"stats", "--threads", "100000"}));
}

TEST_F(CasCliTest, InvalidHashIsAUsageErrorAndChangesNothing) {
  const std::string kept = put_v1("kept");
  write_file(dir_ / "f", "f");
  const auto before = snapshot(root_);
  for (const std::string& bad :
       std::vector<std::string>{"XYZ", "584B6AB7", "ab/../cd", "a", std::string(130, 'a')}) {
    SCOPED_TRACE(bad);
    RunResult r = cas({"path", bad});
    EXPECT_USAGE_ERROR(r);
    EXPECT_NE(r.err.find(bad == "a" ? "cas: path a: not a full hash" : "cas: path: invalid hash"),
              std::string::npos)
        << r.err;
    EXPECT_USAGE_ERROR(cas({"cat", bad}));
    EXPECT_USAGE_ERROR(cas({"insert", bad, (dir_ / "f").string()}));
    // A bad hash anywhere in the list: not even the valid ones are removed.
    EXPECT_USAGE_ERROR(cas({"rm", kept, bad}));
  }
  EXPECT_EQ(snapshot(root_), before);
  EXPECT_TRUE(fs::exists(dir_ / "f"));
}

TEST_F(CasCliTest, ReadOnlyRefusesWritingCommandsAndChangesNothing) {
  const std::string hash = put_v0("legacy");
  write_file(dir_ / "f", "new");
  write_file(dir_ / "keep", "");
  const auto before = snapshot(root_);
  for (auto args :
       std::vector<std::vector<std::string>>{{"put", (dir_ / "f").string()},
                                             {"insert", sha256("new"), (dir_ / "f").string()},
                                             {"rm", hash},
                                             {"migrate"},
                                             {"purge"},
                                             {"gc", "--keep", (dir_ / "keep").string()},
                                             {"trim", "--max-files", "0"},
                                             {"sync", "--from", dir_.path().string()},
                                             {"verify", "--quarantine"},
                                             {"pin", "add", "p", hash},
                                             {"pin", "rm", "p"}}) {
    args.insert(args.begin(), "--read-only");
    SCOPED_TRACE(args[1] + (args[1] == "pin" ? " " + args[2] : ""));
    EXPECT_USAGE_ERROR(cas(args));
  }
  // A read-only lookup finds the V0 file where it is and does not migrate it.
  RunResult r = cas({"--read-only", "path", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v0_path(hash).string() + "\n");
  EXPECT_EQ(snapshot(root_), before);
  EXPECT_TRUE(fs::exists(dir_ / "f"));
}

TEST_F(CasCliTest, GlobalOptionsMayFollowTheCommand) {
  const std::string hash = put_v1("after");
  RunResult r = cas_raw({"ls", "--root", root_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, hash + "\n");
}

// --- partial failures ----------------------------------------------------------------------------

TEST_F(CasCliTest, CatOfAnUnreadableFileNamesItAndTheRefusal) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run cas as nobody";
  fs::permissions(dir_.path(), fs::owner_all | fs::group_read | fs::group_exe | fs::others_read |
                                   fs::others_exe);
  const std::string hash = put_v1("root's alone");
  fs::permissions(v1_path(hash), fs::owner_read | fs::owner_write);
  RunResult r = cas_as_nobody({"cat", hash});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "cas: cat " + hash + ": open " + v1_path(hash).string() + ": Permission denied\n");
}

TEST_F(CasCliTest, BulkCommandsReportPerFileFailuresAndExitOne) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run cas as nobody";
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  fs::permissions(dir_.path(), fs::owner_all | fs::group_read | fs::group_exe | fs::others_read |
                                   fs::others_exe);
  // nobody owns the root and one bucket; the other bucket is root's, so its file cannot be
  // unlinked, and that file is unreadable too.
  const std::string locked = put_v1("locked"), free = put_v1("free");
  fs::permissions(v1_path(locked), fs::owner_read | fs::owner_write);
  for (const fs::path& p : {root_, v1_path(free).parent_path(), v1_path(free)}) {
    ASSERT_EQ(::chown(p.c_str(), nobody->pw_uid, nobody->pw_gid), 0) << p;
  }

  RunResult r = cas_as_nobody({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cas: verify: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["ok"], "1") << r.out;
  EXPECT_EQ(summary["failed"], "1");

  r = cas_as_nobody({"purge"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cas: purge: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  summary = parse_summary(r.out);
  EXPECT_EQ(summary["files_removed"], "1") << r.out;
  EXPECT_NE(summary["failed"], "0");
  EXPECT_TRUE(fs::exists(v1_path(locked)));
  EXPECT_FALSE(fs::exists(v1_path(free)));
}

// --- the progress bar --------------------------------------------------------------------------

TEST_F(CasCliTest, ProgressBarIsDrawnOnlyOnATerminalAndNotWhenQuiet) {
  for (int i = 0; i < 20; ++i) put_v0("file " + std::to_string(i));
  RunResult r = run_with_terminal_stderr({kCas, "--root", root_.string(), "migrate", "-n"});
  if (r.exit_code == -1) GTEST_SKIP() << "no pseudo-terminal available";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The last drawing, at the end: the total was counted first, so it shows a bar at 100%.
  EXPECT_NE(r.err.find("\rmigrate ["), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("100%  20/20"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/s"), std::string::npos) << r.err;

  r = run_with_terminal_stderr({kCas, "--root", root_.string(), "--quiet", "migrate", "-n"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");

  // Not a terminal: nothing on stderr (every other test checks this too).
  EXPECT_EQ(cas({"migrate", "-n"}).err, "");
}

}  // namespace
}  // namespace cas
