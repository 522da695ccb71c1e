// One download per hash across processes and threads (eight `cas fetch` processes, one GET in
// nginx's access log), a killed downloader taken over by a waiter, and a dropped connection
// resumed with a Range request (a test-only server that closes half-way: the one fault nginx
// does not make).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "cas/fetch.hpp"
#include "fetch_test_util.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"
#include "tools/cas_cli_fixture.hpp"

namespace cas::test {
namespace {

namespace fs = boost::filesystem;

// Starts `cas --root ROOT fetch HASH URL` as a child; returns its pid.
pid_t spawn_fetch(const fs::path& root, const std::string& hash, const std::string& url) {
  pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execl(kCas, "cas", "--root", root.c_str(), "-q", "fetch", hash.c_str(), url.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whether some process holds the fetch lock of `hash` (the byte fetch_lock.cpp locks).
bool lock_held(const fs::path& root, const std::string& hash) {
  const int fd = ::open((root / ".cas-fetch.lock").c_str(), O_RDWR);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(std::stoull(hash.substr(0, 15), nullptr, 16));
  fl.l_len = 1;
  const bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

class FetchConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CAS_SKIP_WITHOUT_NGINX();
    if (!kCas) GTEST_SKIP() << "the cas tool is not built";
    server_ = std::make_unique<NginxServer>();
    // 8 MiB at /slow/'s 4 MiB/s: two seconds in which the others miss it too.
    content_ = std::string(8 << 20, 'z');
    hash_ = sha256(content_);
    serve_file(*server_, "big", content_);
    url_ = server_->url() + "/slow/files/big";
  }

  TempDir dir_;
  std::unique_ptr<NginxServer> server_;
  std::string content_, hash_, url_;
};

TEST_F(FetchConcurrencyTest, EightProcessesMakeOneRequest) {
  const fs::path root = dir_ / "store";
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) children.push_back(spawn_fetch(root, hash_, url_));
  for (pid_t pid : children) EXPECT_EQ(wait_exit(pid), 0);
  EXPECT_EQ(count_requests(*server_, "GET /slow/files/big"), 1u) << server_->access_log();
  Store store(root);
  EXPECT_EQ(read_file(*store.lookup_local(hash_)), content_);
}

TEST_F(FetchConcurrencyTest, ThreadsOfOneProcessMakeOneRequest) {
  Store store(dir_ / "store");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += fetch(store, hash_, {url_}) == store.preferred_path(hash_); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(count_requests(*server_, "GET /slow/files/big"), 1u);
}

TEST_F(FetchConcurrencyTest, AKilledDownloaderIsTakenOverByAWaiter) {
  const fs::path root = dir_ / "store";
  const pid_t first = spawn_fetch(root, hash_, url_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!lock_held(root, hash_) && std::chrono::steady_clock::now() < deadline) ::usleep(5000);
  ASSERT_TRUE(lock_held(root, hash_));
  const pid_t waiter = spawn_fetch(root, hash_, url_);
  ::usleep(300 * 1000);  // the waiter is waiting for the lock
  ::kill(first, SIGKILL);
  EXPECT_EQ(wait_exit(first), 128 + SIGKILL);
  EXPECT_EQ(wait_exit(waiter), 0);
  Store store(root);
  EXPECT_EQ(read_file(*store.lookup_local(hash_)), content_);
  EXPECT_EQ(count_requests(*server_, "GET /slow/files/big"), 2u);  // the killed one, the waiter's
}

// Answers the first request with the first half of `body` (announcing all of it, with
// Accept-Ranges) and closes the connection; answers a request with "Range: bytes=N-" with a 206
// of the rest. Records each request's Range header.
class HalfwayServer {
 public:
  explicit HalfwayServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~HalfwayServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/file"; }
  std::vector<std::string> ranges;  // "" for a request without one

 private:
  void serve() {
    for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0; ::close(c)) {
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const auto at = request.find("Range: bytes=");
      const std::string range =
          at == std::string::npos ? "" : request.substr(at + 13, request.find('-', at) - at - 13);
      ranges.push_back(range);
      std::string response;
      if (range.empty()) {
        response = "HTTP/1.1 200 OK\r\nAccept-Ranges: bytes\r\nContent-Length: " +
                   std::to_string(body_.size()) + "\r\n\r\n" + body_.substr(0, body_.size() / 2);
      } else {
        const std::size_t from = std::stoul(range);
        response = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) +
                   "-" + std::to_string(body_.size() - 1) + "/" + std::to_string(body_.size()) +
                   "\r\nContent-Length: " + std::to_string(body_.size() - from) + "\r\n\r\n" +
                   body_.substr(from);
      }
      for (size_t done = 0; done < response.size();) {
        const ssize_t n = ::write(c, response.data() + done, response.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
    }
  }
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(FetchResumeTest, ADroppedConnectionResumesWithARangeRequest) {
  // 590 KB: hashed on the transfer's thread; 4.5 MB: the first half already on a follower
  // thread (past 2 MiB), which carries on through the resume.
  for (int numbers : {100000, 600000}) {
    std::string body;
    for (int i = 0; i < numbers; ++i) body += std::to_string(i) + ",";
    HalfwayServer server(body);
    TempDir dir;
    Store store(dir / "store");
    FetchOptions options;
    options.backoff = std::chrono::milliseconds(1);
    EXPECT_EQ(read_file(fetch(store, sha256(body), {server.url()}, options)), body);
    ASSERT_EQ(server.ranges.size(), 2u);
    EXPECT_EQ(server.ranges[0], "");
    EXPECT_EQ(server.ranges[1], std::to_string(body.size() / 2));  // went on from the half
  }
}

}  // namespace
}  // namespace cas::test
