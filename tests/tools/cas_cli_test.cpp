// The `cas` command-line tool, run as a separate process: exit codes, output formats and
// effects on disk of every command, and the IPS migrate tool's own tests, ported.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::read_file;
using test::RunResult;
using test::TempDir;
using test::write_file;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

// Every command, for the tests that go through all of them.
const std::vector<std::string> kCommands = {"put",  "insert",  "path",  "cat", "rm",
                                            "ls",   "migrate", "purge", "gc",  "trim",
                                            "sync", "verify",  "stats", "pin"};

std::string sha256(const std::string& content) {
  return hash_bytes(content, HashAlgorithm::sha256);
}

using test::lines_of;
using test::parse_summary;

std::set<std::string> line_set(const std::string& text) {
  auto lines = lines_of(text);
  return {lines.begin(), lines.end()};
}

// Everything under `root`: "d <rel>" for directories, "f <rel> <content>" for files.
std::set<std::string> snapshot(const fs::path& root) {
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

class CasCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
    root_ = dir_ / "store";
  }

  // Runs `cas ARGS...` (no --root added).
  static RunResult cas_raw(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), kCas);
    return test::run(args, input);
  }

  // Runs `cas --root <root_> ARGS...`.
  RunResult cas(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--root", root_.string()});
    return cas_raw(std::move(args), input);
  }

  // Writes `content` at the place `layout` gives `hash` under the store's root.
  void place(const Layout& layout, const std::string& hash, const std::string& content) const {
    write_file(root_ / layout.lookup(hash), content);
  }
  // Writes `content` where V1 puts its sha256 and returns the hash.
  std::string put_v1(const std::string& content) const {
    std::string hash = sha256(content);
    place(V1Layout(), hash, content);
    return hash;
  }
  std::string put_v0(const std::string& content) const {
    std::string hash = sha256(content);
    place(V0Layout(), hash, content);
    return hash;
  }
  fs::path v1_path(const std::string& hash) const { return root_ / V1Layout().lookup(hash); }
  fs::path v0_path(const std::string& hash) const { return root_ / V0Layout().lookup(hash); }

  TempDir dir_;
  fs::path root_;
};

// Expects a usage error: exit 2, nothing on stdout, one `cas: ...` message on stderr.
#define EXPECT_USAGE_ERROR(result)                     \
  do {                                                 \
    const RunResult& r_ = (result);                    \
    EXPECT_EQ(r_.exit_code, 2) << r_.out << r_.err;    \
    EXPECT_EQ(r_.out, "");                             \
    EXPECT_EQ(r_.err.rfind("cas: ", 0), 0u) << r_.err; \
  } while (0)

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

// --- put, insert, path, cat, rm, ls ------------------------------------------------------------

TEST_F(CasCliTest, PutPrintsHashTwoSpacesAndNameLikeSha256sum) {
  write_file(dir_ / "a", "alpha\n");
  write_file(dir_ / "b b", "beta\n");
  write_file(dir_ / "c\nd\\e", "gamma\n");  // escaped as sha256sum does: "\<hash>  c\nd\\e"
  const std::vector<std::string> files = {(dir_ / "a").string(), (dir_ / "b b").string(),
                                          (dir_ / "c\nd\\e").string()};
  for (const auto& [algo, tool] :
       std::vector<std::pair<std::string, std::string>>{{"", "sha256sum"},
                                                        {"sha1", "sha1sum"},
                                                        {"sha256", "sha256sum"},
                                                        {"sha512", "sha512sum"}}) {
    SCOPED_TRACE(tool);
    std::vector<std::string> args = {"put"};
    if (!algo.empty()) args.insert(args.end(), {"--algo", algo});
    args.insert(args.end(), files.begin(), files.end());
    RunResult r = cas(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<std::string> sum = {tool};
    sum.insert(sum.end(), files.begin(), files.end());
    EXPECT_EQ(r.out, test::run(sum).out);
    EXPECT_EQ(lines_of(r.out).size(), 3u);
    for (const auto& line : lines_of(r.out)) {
      const std::size_t start = line[0] == '\\' ? 1 : 0;
      const std::string hash = line.substr(start, line.find(' ') - start);
      EXPECT_TRUE(fs::exists(v1_path(hash))) << hash;
    }
  }
  EXPECT_EQ(read_file(dir_ / "a"), "alpha\n");  // put leaves its sources alone
}

TEST_F(CasCliTest, PutOfAMissingFileFailsButStoresTheOthers) {
  write_file(dir_ / "good", "good");
  const std::string missing = (dir_ / "missing").string();
  RunResult r = cas({"put", missing, (dir_ / "good").string(), dir_.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, sha256("good") + "  " + (dir_ / "good").string() + "\n");
  EXPECT_NE(r.err.find("cas: put " + missing + ": no such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cas: put " + dir_.path().string() + ": "), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(v1_path(sha256("good"))));
}

TEST_F(CasCliTest, PutLsPathCatRmRoundTrip) {
  write_file(dir_ / "one", "first file\n");
  write_file(dir_ / "two", "second file\n");
  RunResult put = cas({"put", (dir_ / "one").string(), (dir_ / "two").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string one = sha256("first file\n"), two = sha256("second file\n");

  RunResult ls = cas({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(line_set(ls.out), (std::set<std::string>{one, two}));
  EXPECT_EQ(lines_of(ls.out).size(), 2u);

  RunResult path = cas({"path", one});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  EXPECT_EQ(path.out, v1_path(one).string() + "\n");

  RunResult cat = cas({"cat", two});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "second file\n");

  RunResult rm = cas({"rm", one, two});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(rm.out, "");
  EXPECT_EQ(cas({"ls"}).out, "");
  EXPECT_EQ(cas({"path", one}).exit_code, 1);
  EXPECT_EQ(cas({"cat", two}).exit_code, 1);
}

TEST_F(CasCliTest, CatIsBinarySafe) {
  std::string bytes;
  for (int round = 0; round < 300; ++round) {
    for (int c = 0; c < 256; ++c) bytes += static_cast<char>(c);
  }
  const std::string hash = put_v1(bytes);
  RunResult r = cas({"cat", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, bytes);

  const std::string empty = put_v1("");
  r = cas({"cat", empty});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CasCliTest, PathAndCatOfAnAbsentHashExitOne) {
  fs::create_directories(root_);
  const std::string absent = sha256("absent");
  for (const std::string command : {"path", "cat"}) {
    RunResult r = cas({command, absent});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "cas: " + command + " " + absent + ": not in the store\n");
  }
}

TEST_F(CasCliTest, PathAndCatFindAV0FileAndMigrateIt) {
  const std::string hash = put_v0("old cache entry");
  RunResult r = cas({"path", hash});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v1_path(hash).string() + "\n");
  EXPECT_FALSE(fs::exists(v0_path(hash).parent_path()));

  const std::string other = put_v0("another old entry");
  r = cas({"cat", other});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "another old entry");
}

TEST_F(CasCliTest, InsertMovesTheFileAndCopyLeavesIt) {
  write_file(dir_ / "moved", "moved");
  RunResult r = cas({"insert", sha256("moved"), (dir_ / "moved").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir_ / "moved"));
  EXPECT_EQ(read_file(v1_path(sha256("moved"))), "moved");

  write_file(dir_ / "copied", "copied");
  r = cas({"insert", "--copy", sha256("copied"), (dir_ / "copied").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir_ / "copied"), "copied");
  EXPECT_EQ(read_file(v1_path(sha256("copied"))), "copied");
}

TEST_F(CasCliTest, InsertOfAMissingFileExitsOneNamingHashAndFile) {
  const std::string hash = sha256("nothing");
  const std::string file = (dir_ / "nothing").string();
  RunResult r = cas({"insert", hash, file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cas: insert " + hash + ": " + file + ": no such file\n");
  EXPECT_FALSE(fs::exists(v1_path(hash)));
}

TEST_F(CasCliTest, RmRemovesEveryLayoutsCopyAndAnAbsentHashIsNotAnError) {
  const std::string hash = put_v1("twice");
  place(V0Layout(), hash, "twice");
  RunResult r = cas({"rm", hash, sha256("never stored")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(fs::exists(v1_path(hash)));
  EXPECT_FALSE(fs::exists(v0_path(hash)));
  EXPECT_TRUE(fs::exists(root_));
}

TEST_F(CasCliTest, LsOfAMissingRootIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"ls"}));
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CasCliTest, LsListsBothLayoutsOnceAndReportsUnrecognizedFiles) {
  const std::string a = put_v1("a"), b = put_v0("b");
  place(V0Layout(), a, "a");  // the same hash under both layouts is listed once
  write_file(root_ / "README", "not a hash");
  write_file(root_ / "ab" / "stray", "not a hash either");
  RunResult r = cas({"ls"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(line_set(r.out), (std::set<std::string>{a, b}));
  EXPECT_EQ(lines_of(r.out).size(), 2u);
  EXPECT_NE(r.err.find("cas: ls: unrecognized file: README\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cas: ls: unrecognized file: ab/stray\n"), std::string::npos) << r.err;
}

TEST_F(CasCliTest, AWriteErrorOnStdoutExitsOne) {
  const std::string hash = put_v1("to nowhere");
  for (const std::string& command : std::vector<std::string>{"ls", "cat " + hash}) {
    SCOPED_TRACE(command);
    RunResult r = test::run(
        {"sh", "-c",
         std::string(kCas) + " --root " + root_.string() + " " + command + " >/dev/full"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("cas: ", 0), 0u) << r.err;
  }
}

// --- migrate (the IPS migrate tool's tests, ported) --------------------------------------------

class CasCliMigrateTest : public CasCliTest {
 protected:
  // Five V0 files; the first two share a V0 directory (the same first 8 hex digits).
  void make_v0_store() {
    for (int i = 0; i < 5; ++i) hashes_.push_back(sha256("file " + std::to_string(i)));
    hashes_[1].replace(0, 8, hashes_[0].substr(0, 8));
    ASSERT_EQ(v0_path(hashes_[0]).parent_path(), v0_path(hashes_[1]).parent_path());
    for (const auto& hash : hashes_) place(V0Layout(), hash, "content of " + hash);
  }

  std::vector<std::string> hashes_;
};

TEST_F(CasCliMigrateTest, MovesEveryV0FileToV1AndRemovesTheOldDirectories) {
  make_v0_store();
  RunResult r = cas({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no terminal: no progress bar
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "migrate") << r.out;
  EXPECT_EQ(summary["moved"], "5");
  EXPECT_EQ(summary["already_in_place"], "0");
  EXPECT_EQ(summary["duplicates_removed"], "0");
  EXPECT_EQ(summary["unrecognized"], "0");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(summary.count("dry_run"), 0u);
  EXPECT_EQ(lines_of(r.out).size(), 1u);
  for (const auto& hash : hashes_) {
    EXPECT_EQ(read_file(v1_path(hash)), "content of " + hash);
    EXPECT_FALSE(fs::exists(v0_path(hash))) << hash;
    EXPECT_FALSE(fs::exists(v0_path(hash).parent_path())) << hash;
  }
  // Nothing is left but the V1 buckets and their files.
  for (const auto& entry : snapshot(root_)) {
    EXPECT_TRUE(entry.size() == 4 || entry[0] == 'f') << entry;
  }
}

TEST_F(CasCliMigrateTest, ASecondRunSucceedsAndChangesNothing) {
  make_v0_store();
  ASSERT_EQ(cas({"migrate"}).exit_code, 0);
  const auto after_first = snapshot(root_);
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["moved"], "0") << r.out;
  EXPECT_EQ(summary["already_in_place"], "5");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(snapshot(root_), after_first);
}

TEST_F(CasCliMigrateTest, NoRootAnExtraArgumentOrAMissingRootExitTwo) {
  make_v0_store();
  const auto before = snapshot(root_);
  EXPECT_USAGE_ERROR(cas_raw({"migrate"}));
  EXPECT_USAGE_ERROR(cas({"migrate", "extra"}));
  EXPECT_EQ(snapshot(root_), before);

  const fs::path missing = dir_ / "missing";
  RunResult r = cas_raw({"--root", missing.string(), "migrate"});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err, "cas: migrate: " + missing.string() + ": no such directory\n");
  EXPECT_FALSE(fs::exists(missing));

  write_file(dir_ / "a-file", "");
  EXPECT_USAGE_ERROR(cas_raw({"--root", (dir_ / "a-file").string(), "migrate"}));
}

TEST_F(CasCliMigrateTest, AnEmptyRootExitsZero) {
  fs::create_directories(root_);
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "migrate: moved=0 already_in_place=0 duplicates_removed=0 unrecognized=0 "
            "directories_removed=0 failed=0\n");
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(CasCliMigrateTest, DryRunCountsAndChangesNothingEvenReadOnly) {
  make_v0_store();
  const auto before = snapshot(root_);
  for (const bool read_only : {false, true}) {
    std::vector<std::string> args = {"migrate", "--dry-run"};
    if (read_only) args.insert(args.begin(), "--read-only");
    RunResult r = cas(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto summary = parse_summary(r.out);
    EXPECT_EQ(summary["moved"], "5") << r.out;
    EXPECT_EQ(summary["dry_run"], "1") << r.out;
    EXPECT_EQ(snapshot(root_), before);
  }
}

TEST_F(CasCliMigrateTest, QuietPrintsNothingAndWorksWithAnyThreadCount) {
  make_v0_store();
  RunResult r = cas({"--quiet", "migrate", "-j", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  for (const auto& hash : hashes_) EXPECT_TRUE(fs::exists(v1_path(hash)));
  // Back to V0, then again with many threads and the long option names.
  for (const auto& hash : hashes_) {
    fs::remove(v1_path(hash));
    place(V0Layout(), hash, "content of " + hash);
  }
  r = cas({"migrate", "--threads", "16", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  for (const auto& hash : hashes_) EXPECT_TRUE(fs::exists(v1_path(hash)));
}

TEST_F(CasCliMigrateTest, UnrecognizedFilesAreLeftAloneAndCounted) {
  make_v0_store();
  write_file(root_ / "notes.txt", "mine");
  RunResult r = cas({"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["moved"], "5") << r.out;
  EXPECT_EQ(summary["unrecognized"], "1") << r.out;
  EXPECT_EQ(read_file(root_ / "notes.txt"), "mine");
}

// --- purge, gc, sync ---------------------------------------------------------------------------

TEST_F(CasCliTest, PurgeEmptiesTheStoreAndKeepsTheRootAndUnrecognizedFiles) {
  put_v1("one");
  put_v0("two");
  write_file(root_ / "stray" / "file", "x");
  RunResult r = cas({"purge"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "purge") << r.out;
  EXPECT_EQ(summary["files_removed"], "2");
  EXPECT_EQ(summary["unrecognized"], "1");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_NE(summary.count("directories_removed"), 0u);
  EXPECT_EQ(snapshot(root_), (std::set<std::string>{"d stray", "f stray/file x"}));

  r = cas({"purge", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["files_removed"], "1") << r.out;
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(CasCliTest, PurgeDryRunAndMissingRoot) {
  put_v1("one");
  const auto before = snapshot(root_);
  RunResult r = cas({"purge", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["dry_run"], "1") << r.out;
  EXPECT_EQ(snapshot(root_), before);
  EXPECT_USAGE_ERROR(cas_raw({"--root", (dir_ / "missing").string(), "purge"}));
}

TEST_F(CasCliTest, GcKeepsOnlyTheListedHashes) {
  const std::string a = put_v1("a"), b = put_v0("b"), c = put_v1("c"), d = put_v1("d");
  // Comments, blank lines, CRLF and `put`/sha256sum lines ("<hash>  <file>") are accepted.
  write_file(dir_ / "keep.txt",
             "# the manifest\n\n" + a + "\r\n  " + b + "  some/file\n\\" + d + "  back\\\\slash\n");
  RunResult r = cas({"gc", "--keep", (dir_ / "keep.txt").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "gc") << r.out;
  EXPECT_EQ(summary["kept"], "3");
  EXPECT_EQ(summary["removed"], "1");
  EXPECT_EQ(summary["failed"], "0");
  EXPECT_EQ(line_set(cas({"ls"}).out), (std::set<std::string>{a, b, d}));
  EXPECT_FALSE(fs::exists(v1_path(c)));
}

TEST_F(CasCliTest, GcKeepsWhatPutPrintedEvenForNamesWithNewlines) {
  write_file(dir_ / "plain", "plain");
  write_file(dir_ / "new\nline", "odd name");
  RunResult put = cas({"put", (dir_ / "plain").string(), (dir_ / "new\nline").string()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  write_file(dir_ / "keep", put.out);
  put_v1("not listed");
  RunResult gc = cas({"gc", "--keep", (dir_ / "keep").string()});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_TRUE(fs::exists(v1_path(sha256("plain"))));
  EXPECT_TRUE(fs::exists(v1_path(sha256("odd name"))));
  EXPECT_FALSE(fs::exists(v1_path(sha256("not listed"))));
}

TEST_F(CasCliTest, GcReadsListsFromStdinAndFromSeveralFiles) {
  const std::string a = put_v1("a"), b = put_v1("b"), c = put_v1("c");
  write_file(dir_ / "keep-b", b + "\n");
  RunResult r = cas({"gc", "--keep", "-", "--keep", (dir_ / "keep-b").string()}, a + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_set(cas({"ls"}).out), (std::set<std::string>{a, b}));
}

TEST_F(CasCliTest, GcDryRunRemovesNothing) {
  put_v1("a");
  put_v1("b");
  write_file(dir_ / "keep", "");
  const auto before = snapshot(root_);
  RunResult r = cas({"gc", "-n", "--allow-empty-keep", "--keep", (dir_ / "keep").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["removed"], "2") << r.out;
  EXPECT_EQ(summary["dry_run"], "1");
  EXPECT_EQ(snapshot(root_), before);
}

TEST_F(CasCliTest, GcWithABadListIsAUsageErrorAndRemovesNothing) {
  const std::string a = put_v1("a");
  put_v1("b");
  const auto before = snapshot(root_);
  const std::string list = (dir_ / "keep.txt").string();
  write_file(list, a + "\n# fine\nNOT-A-HASH  file\n");
  RunResult r = cas({"gc", "--keep", list});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err.rfind("cas: " + list + ":3: invalid hash 'NOT-A-HASH'", 0), 0u) << r.err;

  RunResult missing = cas({"gc", "--keep", (dir_ / "no-such-list").string()});
  EXPECT_USAGE_ERROR(missing);
  EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
  // A directory reads as an empty list on some systems: it must not mean "keep nothing".
  EXPECT_USAGE_ERROR(cas({"gc", "--keep", dir_.path().string()}));
  EXPECT_EQ(snapshot(root_), before);

  write_file(dir_ / "empty", "");
  EXPECT_USAGE_ERROR(
      cas_raw({"--root", (dir_ / "missing").string(), "gc", "--keep", (dir_ / "empty").string()}));
}

class CasCliSyncTest : public CasCliTest {
 protected:
  void SetUp() override {
    CasCliTest::SetUp();
    source_ = dir_ / "source";
    for (const std::string content : {"s1", "s2", "s3"}) {
      write_file(source_ / V1Layout().lookup(sha256(content)), content);
    }
    write_file(source_ / V0Layout().lookup(sha256("s0")), "s0");  // a legacy file
  }
  std::set<std::string> source_hashes() const {
    return {sha256("s0"), sha256("s1"), sha256("s2"), sha256("s3")};
  }
  fs::path source_;
};

TEST_F(CasCliSyncTest, CopiesEveryMissingHashAndKeepsExtras) {
  const std::string extra = put_v1("only here");
  put_v1("s1");
  const auto source_before = snapshot(source_);
  RunResult r = cas({"sync", "--from", source_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "sync") << r.out;
  EXPECT_EQ(std::stoul(summary["linked"]) + std::stoul(summary["copied"]), 3u) << r.out;
  EXPECT_EQ(summary["already_present"], "1");
  EXPECT_EQ(summary["deleted"], "0");
  EXPECT_EQ(summary["failed"], "0");
  auto expected = source_hashes();
  expected.insert(extra);
  EXPECT_EQ(line_set(cas({"ls"}).out), expected);
  EXPECT_EQ(cas({"cat", sha256("s0")}).out, "s0");
  EXPECT_EQ(snapshot(source_), source_before);  // the source is only read
}

TEST_F(CasCliSyncTest, DeleteRemovesHashesTheSourceDoesNotHave) {
  put_v1("only here");
  RunResult r = cas({"sync", "--from", source_.string(), "--delete"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["deleted"], "1") << r.out;
  EXPECT_EQ(line_set(cas({"ls"}).out), source_hashes());
}

TEST_F(CasCliSyncTest, CreatesAMissingRoot) {
  RunResult r = cas({"sync", "--from", source_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_set(cas({"ls"}).out), source_hashes());
}

TEST_F(CasCliSyncTest, ABadSourceIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"sync", "--from", (dir_ / "missing").string()}));
  fs::create_directories(root_);
  EXPECT_USAGE_ERROR(cas({"sync", "--from", root_.string()}));
  EXPECT_TRUE(fs::is_empty(root_));
}

// --- verify, stats -----------------------------------------------------------------------------

TEST_F(CasCliTest, VerifyPassesAnIntactStoreOfEveryAlgorithm) {
  put_v1("sha256 content");
  put_v0("legacy sha256 content");
  place(V1Layout(), hash_bytes("sha1 content", HashAlgorithm::sha1), "sha1 content");
  place(V1Layout(), hash_bytes("sha512 content", HashAlgorithm::sha512), "sha512 content");
  RunResult r = cas({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary[""], "verify") << r.out;
  EXPECT_EQ(summary["ok"], "4");
  EXPECT_EQ(summary["corrupt"], "0");
  EXPECT_EQ(summary["failed"], "0");
}

TEST_F(CasCliTest, VerifyCatchesAFlippedByte) {
  put_v1("intact");
  const std::string hash = put_v1("this will be flipped");
  write_file(v1_path(hash), "this will be flipPed");
  RunResult r = cas({"verify"});
  EXPECT_EQ(r.exit_code, 1);
  const std::string rel = V1Layout().lookup(hash);
  EXPECT_NE(r.err.find("cas: verify " + rel + ": content does not match its name"),
            std::string::npos)
      << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["ok"], "1") << r.out;
  EXPECT_EQ(summary["corrupt"], "1");
  EXPECT_EQ(summary["quarantined"], "0");
  EXPECT_TRUE(fs::exists(v1_path(hash)));  // without --quarantine it stays
}

TEST_F(CasCliTest, VerifyQuarantineMovesTheCorruptFileAway) {
  const std::string good = put_v1("intact");
  const std::string bad = put_v1("this will be flipped");
  write_file(v1_path(bad), "this will be flipPed");
  RunResult r = cas({"verify", "--quarantine"});
  EXPECT_EQ(r.exit_code, 1);
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["corrupt"], "1") << r.out;
  EXPECT_EQ(summary["quarantined"], "1");
  EXPECT_FALSE(fs::exists(v1_path(bad)));
  EXPECT_TRUE(fs::is_directory(root_ / ".cas-quarantine"));
  EXPECT_FALSE(fs::is_empty(root_ / ".cas-quarantine"));
  EXPECT_EQ(cas({"ls"}).out, good + "\n");
  EXPECT_EQ(cas({"verify"}).exit_code, 0);  // what is left is sound
}

TEST_F(CasCliTest, VerifyWithAnExplicitAlgorithm) {
  place(V1Layout(), hash_bytes("sha1 content", HashAlgorithm::sha1), "sha1 content");
  RunResult r = cas({"verify", "--algo", "sha1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_summary(r.out)["ok"], "1") << r.out;
  // A sha1 name is not sha256's to judge: counted, never called corrupt or quarantined.
  r = cas({"verify", "--algo", "sha256", "--quarantine"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(parse_summary(r.out)["unknown_algorithm"], "1") << r.out;
  EXPECT_EQ(parse_summary(r.out)["quarantined"], "0") << r.out;
}

TEST_F(CasCliTest, VerifyOfAMissingRootIsAUsageError) {
  RunResult r = cas({"verify"});
  EXPECT_USAGE_ERROR(r);
  EXPECT_EQ(r.err, "cas: verify: " + root_.string() + ": no such directory\n");
}

TEST_F(CasCliTest, StatsCountsFilesPerLayoutInLookupOrder) {
  put_v1("12345");
  put_v1("123");
  put_v0("1");
  write_file(root_ / "junk", "1234");
  RunResult r = cas({"stats"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;  // then pins and last use (cas_cli_trim_test.cpp)
  EXPECT_EQ(lines[0], "layout v1: files=2 bytes=8");
  EXPECT_EQ(lines[1], "layout v0: files=1 bytes=1");
  auto summary = parse_summary(lines[2]);
  EXPECT_EQ(summary[""], "store") << lines[2];
  EXPECT_EQ(summary["hashes"], "3");
  EXPECT_EQ(summary["unrecognized_files"], "1");
  EXPECT_EQ(summary["unrecognized_bytes"], "4");
  EXPECT_EQ(summary["failed"], "0");
  for (const char* key : {"directories", "empty_directories", "temp_files", "quarantined_files"}) {
    EXPECT_EQ(summary.count(key), 1u) << key;
  }

  // --quiet silences summaries, not a command's output; --layouts sets the order.
  r = cas({"--quiet", "--layouts", "v0,v1", "stats"});
  EXPECT_EQ(lines_of(r.out).at(0), "layout v0: files=1 bytes=1") << r.out;
}

TEST_F(CasCliTest, StatsJsonIsParseableEvenWithAnOddRootName) {
  // A quote, a backslash, a control character and a byte that is not UTF-8 in the root's name.
  root_ = dir_ / "odd \"name\" \\ \t \xff";
  put_v1("12345");
  put_v0("1");
  RunResult r = cas({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult parsed = test::run(
      {"python3", "-c",
       "import json, sys\n"
       "d = json.load(sys.stdin)\n"
       "print(d['layouts']['v1']['files'], d['layouts']['v1']['bytes'], "
       "d['layouts']['v0']['files'], d['hashes'], d['failed'], d['lookup_order'], d['errors'])"},
      r.out);
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err << r.out;
  EXPECT_EQ(parsed.out, "1 5 1 2 0 ['v1', 'v0'] []\n") << r.out;
}

TEST_F(CasCliTest, StatsOfAMissingRootIsAUsageError) {
  EXPECT_USAGE_ERROR(cas({"stats", "--json"}));
}

// --- partial failures ----------------------------------------------------------------------------

// Runs `cas --root <root_> ARGS...` as the unprivileged user nobody, for real EACCES faults
// (root ignores file modes).
RunResult cas_as_nobody(const fs::path& root, std::vector<std::string> args) {
  args.insert(args.begin(), {"runuser", "-u", "nobody", "--", kCas, "--root", root.string()});
  return test::run(args);
}

TEST_F(CasCliTest, CatOfAnUnreadableFileNamesItAndTheRefusal) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to run cas as nobody";
  fs::permissions(dir_.path(), fs::owner_all | fs::group_read | fs::group_exe | fs::others_read |
                                   fs::others_exe);
  const std::string hash = put_v1("root's alone");
  fs::permissions(v1_path(hash), fs::owner_read | fs::owner_write);
  RunResult r = cas_as_nobody(root_, {"cat", hash});
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

  RunResult r = cas_as_nobody(root_, {"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cas: verify: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  auto summary = parse_summary(r.out);
  EXPECT_EQ(summary["ok"], "1") << r.out;
  EXPECT_EQ(summary["failed"], "1");

  r = cas_as_nobody(root_, {"purge"});
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
