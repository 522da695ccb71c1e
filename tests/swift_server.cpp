// Test helper: OpenStack Swift as an S3 server on loopback (see swift_server.hpp).
#include "swift_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <boost/filesystem.hpp>

#include "nginx_server.hpp"  // unused_port, accepts_connections

namespace cas::test {
namespace {

namespace fs = boost::filesystem;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, where the swift module is
constexpr const char* kSwiftConf = "/etc/swift/swift.conf";
const char* const kServers[] = {"account", "container", "object", "proxy"};

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string server_binary(const std::string& name) { return "/usr/bin/swift-" + name + "-server"; }

// Swift reads its hash prefix and suffix (and storage policies) from this fixed path only.
bool ensure_swift_conf() {
  if (fs::exists(kSwiftConf)) return true;
  boost::system::error_code ec;
  fs::create_directories(fs::path(kSwiftConf).parent_path(), ec);
  if (ec) return false;
  try {
    write_file(kSwiftConf,
               "# Written by cas's tests (tests/swift_server.cpp) for a test-only Swift.\n"
               "[swift-hash]\nswift_hash_path_suffix = cas-test\nswift_hash_path_prefix = "
               "cas-test\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n");
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string current_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "root";
}

// What every server's [DEFAULT] shares: loopback, one process, no mount checks, logs by UDP to
// the fixture's socket (else to /dev/log, or to UDP port 514 without one). The UDP address,
// unlike log_address, also reaches the proxy's access log.
std::string defaults(const fs::path& dir, int port, int log_port) {
  const std::string d = dir.string();
  return "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = " + std::to_string(port) +
         "\nswift_dir = " + d + "\ndevices = " + d +
         "/srv\nmount_check = false\nuser = " + current_user() +
         "\nworkers = 0\nlog_udp_host = 127.0.0.1\nlog_udp_port = " + std::to_string(log_port) +
         "\n";
}

std::string storage_config(const fs::path& dir, const std::string& name, int port, int log_port) {
  return defaults(dir, port, log_port) + "[pipeline:main]\npipeline = " + name +
         "-server\n[app:" + name + "-server]\nuse = egg:swift#" + name + "\n";
}

// s3api before tempauth; tempauth wants the cache filter (memcache, absent: it only logs that).
// The access log carries x-amz-security-token so that a test can see it arrive.
std::string proxy_config(const fs::path& dir, int port, int log_port) {
  return defaults(dir, port, log_port) +
         "[pipeline:main]\npipeline = catch_errors proxy-logging cache s3api tempauth "
         "proxy-logging proxy-server\n"
         "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
         "[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n"
         "[filter:s3api]\nuse = egg:swift#s3api\n"
         "[filter:cache]\nuse = egg:swift#memcache\n"
         "[filter:catch_errors]\nuse = egg:swift#catch_errors\n"
         "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\naccess_log_headers = true\n"
         "access_log_headers_only = X-Amz-Security-Token\n";
}

// One interpreter builds the three rings (swift-ring-builder would start nine).
const char* const kRingScript = R"(
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), sys.argv[2:5]):
    b = RingBuilder(6, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
               'device': 'd1', 'weight': 1})
    b.rebalance()
    b.get_ring().save(d + '/' + name + '.ring.gz')
)";

}  // namespace

std::string swift_unavailable() {
  for (const char* name : kServers) {
    if (!executable(server_binary(name))) {
      return server_binary(name) +
             " is not installed (Debian: swift-proxy swift-account "
             "swift-container swift-object)";
    }
  }
  if (!executable("/usr/bin/curl")) return "the curl command is not installed";
  if (!ensure_swift_conf()) {
    return std::string(kSwiftConf) + " is absent and cannot be written (run as root once)";
  }
  return {};
}

SwiftServer* shared_swift(std::string* why) {
  static std::once_flag once;
  static std::unique_ptr<SwiftServer> server;
  static std::string why_not;
  std::call_once(once, [] {
    why_not = swift_unavailable();
    if (!why_not.empty()) return;
    try {
      server = std::make_unique<SwiftServer>();
    } catch (const std::exception& e) {
      why_not = e.what();
    }
  });
  *why = why_not;
  return server.get();
}

SwiftServer::SwiftServer() {
  const fs::path dir = dir_.path();
  fs::create_directories(dir / "srv" / "d1");
  // The object server keeps metadata in xattrs: a filesystem without them cannot hold it.
  if (::setxattr((dir / "srv" / "d1").c_str(), "user.cas-test", "1", 1, 0) != 0) {
    throw std::runtime_error(dir.string() + " has no user xattrs (" + std::strerror(errno) +
                             "): Swift's object server needs them; set TMPDIR elsewhere");
  }
  int ports[4];
  for (int& p : ports) p = unused_port();
  proxy_port_ = ports[3];
  RunResult rings = run({kPython, "-c", kRingScript, dir.string(), std::to_string(ports[0]),
                         std::to_string(ports[1]), std::to_string(ports[2])});
  if (rings.exit_code != 0) throw std::runtime_error("building Swift's rings failed: " + rings.err);
  log_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (log_fd_ < 0 || ::bind(log_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(log_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("bind a UDP socket for Swift's log: ") +
                             std::strerror(errno));
  }
  const int log_port = ntohs(addr.sin_port);
  for (int i = 0; i < 3; ++i) {
    write_file(dir / (std::string(kServers[i]) + "-server.conf"),
               storage_config(dir, kServers[i], ports[i], log_port));
  }
  write_file(dir / "proxy-server.conf", proxy_config(dir, proxy_port_, log_port));
  log_thread_ = std::thread([this] { read_log(); });
  try {
    for (const char* name : kServers) start(name);
    wait_until_up();
  } catch (...) {
    stop();  // no destructor runs for a constructor that throws
    throw;
  }
}

void SwiftServer::start(const std::string& name) {
  const std::string binary = server_binary(name);
  const std::string conf = (dir_ / (name + "-server.conf")).string();
  const std::string out = (dir_ / (name + ".out")).string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test leaves no server behind
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    if (f) ::dup2(STDOUT_FILENO, STDERR_FILENO);
    ::execl(binary.c_str(), binary.c_str(), conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid > 0) pids_.push_back(pid);
}

bool SwiftServer::any_exited() const {
  for (pid_t pid : pids_) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
  }
  return false;
}

void SwiftServer::wait_until_up() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string why = "Swift did not answer within 60 s";
  while (std::chrono::steady_clock::now() < deadline) {
    if (any_exited()) {
      why = "a Swift server exited";
      break;
    }
    // The proxy listens once its pipeline is loaded; a bucket PUT then needs the other three.
    if (accepts_connections(proxy_port_)) {
      try {
        create_bucket("cas-ready");
        return;
      } catch (const std::runtime_error& e) {
        why = e.what();
      }
    }
    ::usleep(100 * 1000);
  }
  std::string outputs;
  for (const char* name : kServers) {
    const fs::path out = dir_ / (std::string(name) + ".out");
    if (fs::exists(out)) outputs += std::string("\n") + name + ": " + read_file(out);
  }
  throw std::runtime_error(why + outputs + "\nlog:\n" + log());
}

SwiftServer::~SwiftServer() { stop(); }

void SwiftServer::stop() {
  for (pid_t pid : pids_) ::kill(-pid, SIGTERM);
  for (pid_t pid : pids_) {
    int status = 0;
    for (int i = 0; i < 50 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(100 * 1000);
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  pids_.clear();
  stop_ = true;
  if (log_thread_.joinable()) log_thread_.join();
  if (log_fd_ >= 0) ::close(log_fd_);
  log_fd_ = -1;
}

std::string SwiftServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(proxy_port_);
}

void SwiftServer::create_bucket(const std::string& bucket) const {
  // curl's --user splits at the first ':', and the access key holds one: a netrc has no such
  // trouble (its fields are separated by blanks).
  const fs::path netrc = dir_ / "netrc";
  if (!fs::exists(netrc)) {
    write_file(netrc, std::string("machine 127.0.0.1 login ") + kAccessKey + " password " +
                          kSecret + "\n");
  }
  RunResult r =
      run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--aws-sigv4",
           std::string("aws:amz:") + kRegion + ":s3", "--netrc-file", netrc.string(), "-H",
           "x-amz-content-sha256: UNSIGNED-PAYLOAD", endpoint() + "/" + bucket});
  if (r.exit_code != 0 || r.out != "200") {
    throw std::runtime_error("PUT " + endpoint() + "/" + bucket + ": " +
                             (r.exit_code != 0 ? r.err : "HTTP " + r.out));
  }
}

std::string SwiftServer::new_bucket() const {
  static std::atomic<int> next{0};
  std::string name = "cas-test-" + std::to_string(next++);
  create_bucket(name);
  return name;
}

void SwiftServer::read_log() {
  char buf[65536];
  while (!stop_) {
    pollfd p{log_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(log_fd_, buf, sizeof buf, 0);
    if (n <= 0) continue;
    std::lock_guard lock(log_mutex_);
    log_.append(buf, static_cast<size_t>(n));
    log_ += '\n';
  }
}

std::string SwiftServer::log() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

bool SwiftServer::logged(const std::string& needle) const {
  for (int i = 0; i < 500; ++i) {
    if (log().find(needle) != std::string::npos) return true;
    ::usleep(10 * 1000);
  }
  return false;
}

}  // namespace cas::test
