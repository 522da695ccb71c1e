// The `cas` tool interrupted and cleaning up: a `cas put` of a large file stopped by SIGINT,
// SIGTERM or SIGKILL at several instants leaves no partial file under any name — on ext4, where
// temps are anonymous (O_TMPFILE), and on a FUSE mount (bindfs, root only), where they are named
// and the tool removes them on SIGINT/SIGTERM; `verify --reap-temp` reclaims what SIGKILL leaves
// there; `stats` counts temp bytes; `trim --min-free` keeps a filesystem's floor free.
#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;

#ifdef CAS_CLI
constexpr const char* kCas = CAS_CLI;
#else
constexpr const char* kCas = nullptr;
#endif

// Starts `argv` with stdin, stdout and stderr on /dev/null; returns its pid.
pid_t spawn(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int null = ::open("/dev/null", O_RDWR);
  for (int fd : {0, 1, 2}) ::dup2(null, fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

// What is wrong under `root` after an interrupted put of `content`: a file with bytes that is
// not `content` at its hash's name ("" when nothing is).
std::string partial_files(const fs::path& root, const std::string& content) {
  if (!fs::exists(root)) return "";
  const std::string hash = hash_bytes(content, HashAlgorithm::sha256);
  std::string wrong;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (!fs::is_regular_file(it->symlink_status()) || fs::file_size(it->path()) == 0) continue;
    if (it->path().filename() == hash && test::read_file(it->path()) == content) continue;
    wrong += it->path().lexically_relative(root).string() + " (" +
             std::to_string(fs::file_size(it->path())) + " bytes) ";
  }
  return wrong;
}

std::string big_content() {
  std::string content(48 << 20, '\0');
  for (std::size_t i = 0; i < content.size(); i += 4096) content[i] = static_cast<char>(i / 4096);
  return content;
}

struct Interrupted {
  int mid_run = 0;  // runs the signal ended (the others had finished first)
  std::string failures;
};

// Runs `cas put` of `file` into `root` and stops it with each signal after several delays;
// returns what was found. `allow_named_after_sigkill`: SIGKILL may leave a named temp in
// .cas-tmp (a filesystem without O_TMPFILE), which is then removed before the next run.
Interrupted interrupt_puts(const fs::path& root, const fs::path& file, const std::string& content,
                           bool allow_named_after_sigkill) {
  Interrupted out;
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    for (int delay_ms : {5, 20, 60, 150}) {
      fs::remove_all(root);
      const pid_t pid = spawn({kCas, "--root", root.string(), "put", file.string()});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ::kill(pid, sig);
      int status = 0;
      ::waitpid(pid, &status, 0);
      const std::string where =
          "signal " + std::to_string(sig) + " after " + std::to_string(delay_ms) + " ms: ";
      if (WIFSIGNALED(status)) {
        ++out.mid_run;
        if (WTERMSIG(status) != sig) out.failures += where + "died of another signal; ";
      } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out.failures += where + "exit status " + std::to_string(status) + "; ";
      }
      if (sig == SIGKILL && allow_named_after_sigkill) fs::remove_all(root / ".cas-tmp");
      if (auto wrong = partial_files(root, content); !wrong.empty()) {
        out.failures += where + wrong + "; ";
      }
    }
  }
  return out;
}

class CasCliInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kCas) GTEST_SKIP() << "CAS_CLI is not defined: the cas tool is not built";
  }
  RunResult cas(const fs::path& root, std::vector<std::string> args) const {
    args.insert(args.begin(), {kCas, "--root", root.string()});
    return test::run(args);
  }
  test::TempDir dir_;
};

TEST_F(CasCliInterruptTest, PutStoppedBySigintSigtermOrSigkillLeavesNoPartialFile) {
  const std::string content = big_content();
  test::write_file(dir_ / "big", content);
  const Interrupted r = interrupt_puts(dir_ / "cache", dir_ / "big", content, false);
  EXPECT_EQ(r.failures, "");
  EXPECT_GT(r.mid_run, 0) << "no signal arrived during a put: the test proved nothing";
}

// A bindfs (FUSE) mount of a directory: no O_TMPFILE (EOPNOTSUPP), as on network filesystems,
// so every temp is named.
class Bindfs {
 public:
  explicit Bindfs(const fs::path& dir) : mount_(dir / "mnt") {
    fs::create_directories(dir / "under");
    fs::create_directories(mount_);
    ok_ = test::run({"bindfs", (dir / "under").string(), mount_.string()}).exit_code == 0;
  }
  ~Bindfs() {
    if (ok_) test::run({"fusermount", "-u", "-z", mount_.string()});
  }
  bool ok() const { return ok_; }
  const fs::path& path() const { return mount_; }

 private:
  fs::path mount_;
  bool ok_ = false;
};

TEST_F(CasCliInterruptTest, OnAFilesystemWithoutOTmpfileSigintAndSigtermRemoveTheNamedTemp) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a FUSE filesystem";
  if (test::run({"sh", "-c", "command -v bindfs"}).exit_code != 0) {
    GTEST_SKIP() << "bindfs is missing (Debian bindfs; tools/setup.sh installs it)";
  }
  Bindfs bindfs(dir_.path());
  ASSERT_TRUE(bindfs.ok()) << "could not mount bindfs";
  const std::string content = big_content();
  test::write_file(dir_ / "big", content);
  const fs::path root = bindfs.path() / "cache";
  ASSERT_EQ(cas(root, {"put", (dir_ / "big").string()}).exit_code, 0);

  const Interrupted r = interrupt_puts(root, dir_ / "big", content, true);
  EXPECT_EQ(r.failures, "");
  EXPECT_GT(r.mid_run, 0) << "no signal arrived during a put: the test proved nothing";

  // What SIGKILL leaves: a named temp, reclaimed by verify --reap-temp once it is that old.
  fs::remove_all(root);
  const pid_t pid = spawn({kCas, "--root", root.string(), "put", (dir_ / "big").string()});
  std::string left;
  for (int i = 0; i < 400 && left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    left = partial_files(root, content);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  if (partial_files(root, content).empty()) GTEST_SKIP() << "the put finished before SIGKILL";
  test::set_mtime(*fs::directory_iterator(root / ".cas-tmp"), std::time(nullptr) - 120);
  RunResult v = cas(root, {"verify", "--reap-temp", "1m"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(test::parse_summary(v.out)["temp_reaped"], "1") << v.out;
  EXPECT_EQ(partial_files(root, content), "");
}

TEST_F(CasCliInterruptTest, VerifyReapTempRemovesOnlyTempsOlderThanTheAge) {
  const fs::path root = dir_ / "cache";
  test::write_file(dir_ / "a", "a");
  ASSERT_EQ(cas(root, {"put", (dir_ / "a").string()}).exit_code, 0);
  test::write_file(root / ".cas-tmp" / "tmp-old", std::string(3000, 'o'));
  test::write_file(root / ".cas-tmp" / "tmp-new", std::string(40, 'n'));
  test::set_mtime(root / ".cas-tmp" / "tmp-old", std::time(nullptr) - 20 * 60);

  RunResult s = cas(root, {"stats"});
  EXPECT_NE(s.out.find(" temp_files=2 temp_bytes=3040 "), std::string::npos) << s.out;

  RunResult v = cas(root, {"verify"});  // the default age, an hour: neither is that old
  EXPECT_EQ(test::parse_summary(v.out)["temp_reaped"], "0") << v.out;
  v = cas(root, {"verify", "--reap-temp", "10m"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(test::parse_summary(v.out)["temp_reaped"], "1") << v.out;
  EXPECT_FALSE(fs::exists(root / ".cas-tmp" / "tmp-old"));
  EXPECT_TRUE(fs::exists(root / ".cas-tmp" / "tmp-new"));

  for (const char* bad : {"0s", "0m", "ten", "-5m", ""}) {
    RunResult r = cas(root, {"verify", "--reap-temp", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--reap-temp"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(fs::exists(root / ".cas-tmp" / "tmp-new"));
}

TEST_F(CasCliInterruptTest, TrimMinFreeRefusesAFloorThatIsNone) {
  const fs::path root = dir_ / "cache";
  test::write_file(dir_ / "a", "a");
  ASSERT_EQ(cas(root, {"put", (dir_ / "a").string()}).exit_code, 0);
  for (const char* bad : {"0", "0%", "100%", "150%", "5x", "%", ""}) {
    RunResult r = cas(root, {"trim", "--min-free", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--min-free"), std::string::npos) << r.err;
  }
  RunResult r = cas(root, {"trim", "--min-free", "1K"});  // free already: nothing goes
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::parse_summary(r.out)["removed"], "0") << r.out;
}

TEST_F(CasCliInterruptTest, TrimMinFreeRemovesTheOldestUntilTheFloorIsFree) {
  if (!test::is_root()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  test::Tmpfs disk(dir_ / "disk", "4m");
  ASSERT_TRUE(disk.ok());
  const fs::path root = dir_ / "disk" / "cache";
  std::vector<std::string> hashes;
  for (int i = 0; i < 10; ++i) {
    test::write_file(dir_ / "src", std::string(200 << 10, static_cast<char>('a' + i)));
    RunResult put = cas(root, {"put", (dir_ / "src").string()});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    hashes.push_back(put.out.substr(0, 64));
    RunResult path = cas(root, {"path", hashes.back()});
    test::set_mtime(test::lines_of(path.out).at(0), std::time(nullptr) - (20 - i) * 86400);
  }
  struct statvfs st {};
  ASSERT_EQ(::statvfs(root.c_str(), &st), 0);
  const std::uint64_t free_now = st.f_bavail * st.f_frsize;
  test::write_file(dir_ / "disk" / "other", std::string(free_now - (300 << 10), 'z'));

  RunResult r = cas(root, {"trim", "--min-free", "25%"});  // 1 MiB of the 4
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(::statvfs(root.c_str(), &st), 0);
  EXPECT_GE(st.f_bavail * st.f_frsize, 1u << 20);
  // 1.1 MiB must be free: 300 KiB are, so five files of 200 KiB go, the oldest.
  EXPECT_EQ(test::parse_summary(r.out)["removed"], "5") << r.out;
  RunResult ls = cas(root, {"ls"});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ls.out.find(hashes[i]) != std::string::npos, i >= 5) << i;
  }
}

}  // namespace
}  // namespace cas
