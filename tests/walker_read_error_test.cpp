// A directory that opens but cannot be read (getdents64 fails: EIO from a failing disk or a
// network filesystem) is an error the walker reports, never a quiet end of that directory:
// on_error and WalkStats::errors, `failed` in the store-wide operations, exit status 1 for
// pfind and `cas`.
//
// The failure is made real with a seccomp filter that answers getdents64 with EIO. A filter
// applies to the whole process and cannot be removed, so each check runs in a forked child
// (the walker with one thread, so it starts none) or an exec'd tool, which inherit it.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/walker.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr std::uint32_t kAuditArch = 0;  // unknown: the tests skip
#endif

// The low 32 bits of the first argument (the descriptor) in struct seccomp_data.
constexpr std::uint32_t kFdArgOffset =
    offsetof(seccomp_data, args[0]) + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);

constexpr int kNoFd = -1;

// Makes every getdents64 of this process (and of what it execs) fail with EIO, except on
// descriptor `spared`. Returns 0 or the errno of the failed installation.
int fail_getdents64(int spared) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getdents64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kFdArgOffset),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(spared), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EIO & SECCOMP_RET_DATA)),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) return errno;
  return 0;
}

constexpr const char* kSkip = "SKIP: ";

// Runs `body` in a forked child and returns the report it produced, or what went wrong. The
// child never returns into the test framework (it leaves with _exit).
std::string in_child(const std::function<std::string()>& body) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(out[0]);
    std::string report;
    try {
      report = body();
    } catch (const std::exception& e) {
      report = std::string("exception: ") + e.what();
    } catch (...) {
      report = "unknown exception";
    }
    for (std::size_t done = 0; done < report.size();) {
      ssize_t n = ::write(out[1], report.data() + done, report.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(out[1]);
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) report.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child ended with status " + std::to_string(status) + ": " + report;
  }
  return report;
}

// Runs argv in a child whose getdents64 calls all fail, and returns its exit code and output.
test::RunResult run_without_getdents64(const std::vector<std::string>& argv,
                                       const fs::path& scratch) {
  test::RunResult r;
  const fs::path out = scratch / "stdout", err = scratch / "stderr";
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(125);
    if (fail_getdents64(kNoFd) != 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = test::read_file(out);
  r.err = test::read_file(err);
  return r;
}

// The lowest descriptor number not in use: the next open() returns it.
int next_fd() {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
  return fd;
}

class WalkerReadErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kAuditArch == 0) GTEST_SKIP() << "no seccomp architecture constant for this machine";
    // Skip when the kernel (or a container's policy) refuses seccomp filters.
    std::string r = in_child([] {
      int err = fail_getdents64(kNoFd);
      return err == 0 ? std::string() : kSkip + std::string(std::strerror(err));
    });
    if (r.rfind(kSkip, 0) == 0) GTEST_SKIP() << "cannot install a seccomp filter: " << r;
    ASSERT_EQ(r, "");
  }

  test::TempDir tmp_;
};

TEST_F(WalkerReadErrorTest, AnUnreadableDirectoryIsReportedAndTheRestIsWalked) {
  const fs::path root = tmp_ / "tree";
  test::write_file(root / "top-file", "");
  test::write_file(root / "sub-a/hidden-a", "");
  test::write_file(root / "sub-b/hidden-b", "");
  const std::string report = in_child([&] {
    // One thread opens the root first (the lowest free descriptor) and then each subdirectory
    // on another one: only the root can be read.
    const int root_fd = next_fd();
    if (int err = fail_getdents64(root_fd); err != 0) return std::string(std::strerror(err));
    std::vector<std::string> visited, errors;
    int seen_root_fd = -1;
    WalkOptions o;
    o.threads = 1;
    o.on_error = [&](const WalkError& e) {
      errors.push_back(e.path + ": " + e.operation + ": " + std::strerror(e.code));
      return ErrorAction::proceed;
    };
    WalkStats stats = Walker(o).walk(root, [&](const WalkEntry& e) {
      seen_root_fd = e.root_fd;
      visited.emplace_back(e.rel_path);
      return WalkAction::proceed;
    });
    if (seen_root_fd != root_fd) {
      return "the root was not read on descriptor " + std::to_string(root_fd) + " but " +
             std::to_string(seen_root_fd);
    }
    std::sort(visited.begin(), visited.end());
    std::sort(errors.begin(), errors.end());
    std::string out = "errors=" + std::to_string(stats.errors) + "\n";
    for (const auto& v : visited) out += "visited " + v + "\n";
    for (const auto& e : errors) out += "error " + e + "\n";
    return out;
  });
  const std::string r = root.string();
  EXPECT_EQ(report,
            "errors=2\n"
            "visited top-file\n"
            "error " +
                r +
                "/sub-a: getdents64: Input/output error\n"
                "error " +
                r + "/sub-b: getdents64: Input/output error\n");
}

TEST_F(WalkerReadErrorTest, StoreOperationsCountAnUnreadableDirectoryAsFailed) {
  const fs::path root = tmp_ / "store";
  const std::string h = hash_bytes("content", HashAlgorithm::sha256);
  test::write_file(root / V1Layout().lookup(h), "content");
  const std::string report = in_child([&] {
    if (int err = fail_getdents64(kNoFd); err != 0) return std::string(std::strerror(err));
    Store store(root);
    OperationOptions one_thread;
    one_thread.threads = 1;
    VerifyOptions vo;
    vo.threads = 1;
    VerifyResult v = verify(store, vo);
    StoreStats s = stats(store, one_thread);
    std::string out = "verify ok=" + std::to_string(v.ok) + " failed=" + std::to_string(v.failed);
    for (const auto& e : v.errors) out += "\n  " + e;
    out += "\nstats failed=" + std::to_string(s.failed);
    for (const auto& e : s.errors) out += "\n  " + e;
    return out;
  });
  const std::string message = "getdents64 " + root.string() + ": Input/output error";
  EXPECT_EQ(report, "verify ok=0 failed=1\n  " + message + "\nstats failed=1\n  " + message);
}

#ifdef CAS_PFIND
TEST_F(WalkerReadErrorTest, PfindExitsOneNamingTheDirectoryItCannotRead) {
  test::write_file(tmp_ / "tree/file", "");
  test::RunResult r = run_without_getdents64({CAS_PFIND, (tmp_ / "tree").string()}, tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "pfind: " + (tmp_ / "tree").string() + ": Input/output error\n");
  EXPECT_EQ(r.out, "");
}
#endif

#ifdef CAS_CLI
TEST_F(WalkerReadErrorTest, CasVerifyExitsOneAndCountsTheUnreadableDirectoryInFailed) {
  const fs::path root = tmp_ / "store";
  const std::string h = hash_bytes("content", HashAlgorithm::sha256);
  test::write_file(root / V1Layout().lookup(h), "content");
  test::RunResult r =
      run_without_getdents64({CAS_CLI, "--root", root.string(), "verify"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" failed=1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("cas: verify: getdents64 " + root.string() + ": Input/output error"),
            std::string::npos)
      << r.err;
}
#endif

}  // namespace
}  // namespace cas
