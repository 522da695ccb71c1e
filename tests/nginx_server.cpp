// Test helpers for the remote tier (see nginx_server.hpp).
#include "nginx_server.hpp"

#include <boost/filesystem/operations.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

namespace cas::test {
namespace {

namespace fs = boost::filesystem;

// A TCP socket bound to 127.0.0.1 on a kernel-chosen port; *port gets it.
int bound_socket(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("bind 127.0.0.1:0 failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

std::string config(const fs::path& dir, int port, bool tls) {
  const std::string d = dir.string();
  const std::string data = (dir / "data").string();
  std::string listen = "listen 127.0.0.1:" + std::to_string(port);
  if (tls) {
    listen += " ssl http2;\n    ssl_certificate " + d + "/cert.pem;\n    ssl_certificate_key " + d +
              "/key.pem";
  }
  // Root runs the workers as root too, so they can write the test's directory.
  return std::string(::geteuid() == 0 ? "user root;\n" : "") +
         "daemon off;\nmaster_process on;\nworker_processes 1;\npid " + d + "/nginx.pid;\n" +
         "error_log " + d + "/error.log;\nevents { worker_connections 1024; }\nhttp {\n" +
         // The combined format, then the connection's serial number (which requests shared
         // a connection).
         "  log_format cas '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent "
         "connection=$connection';\n" +
         "  access_log " + d + "/access.log cas;\n  client_body_temp_path " + d + "/body;\n" +
         "  proxy_temp_path " + d + "/proxy;\n  fastcgi_temp_path " + d + "/fastcgi;\n" +
         "  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d + "/scgi;\n" +
         "  client_max_body_size 0;\n  keepalive_requests 100000;\n" + "  server {\n    " + listen +
         ";\n    root " + data + ";\n" +
         "    location /cas/ { dav_methods PUT; create_full_put_path on; }\n" +
         "    location /fail/ { return 500; }\n" +
         "    location /busy/ { add_header Retry-After 1 always; return 503; }\n" +
         "    location ~ ^/tohttp/(.*)$ { return 302 http://127.0.0.1:$arg_to/$1; }\n" +
         "    location ~ ^/moved/(.*)$ { return 302 /$1; }\n" + "    location /slow/ { alias " +
         data + "/; limit_rate 4m; }\n" + "    location /ro/ { alias " + data +
         "/; limit_except GET HEAD { deny all; } }\n" + "    location /nodav/ { alias " + data +
         "/; }\n  }\n}\n";
}

}  // namespace

std::string nginx_binary() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

bool have_openssl() { return run({"openssl", "version"}).exit_code == 0; }

bool make_test_certificate(const fs::path& dir) {
  RunResult r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                     (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()});
  return r.exit_code == 0;
}

NginxServer::NginxServer(bool tls) : tls_(tls) {
  if (nginx_binary().empty()) throw std::runtime_error("nginx is not installed");
  fs::create_directories(data_dir() / "cas");
  if (tls && !make_test_certificate(dir_.path())) {
    throw std::runtime_error("openssl could not make a test certificate");
  }
  // The free port may be taken between our probe and nginx's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_once()) return;
  }
  throw std::runtime_error("nginx did not start: " + read_file(dir_ / "error.log"));
}

bool NginxServer::start_once() {
  port_ = unused_port();
  write_file(dir_ / "nginx.conf", config(dir_.path(), port_, tls_));
  const std::string binary = nginx_binary();
  const std::string prefix = dir_.path().string() + "/";
  const std::string conf = (dir_ / "nginx.conf").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl(binary.c_str(), "nginx", "-p", prefix.c_str(), "-c", conf.c_str(), "-e",
            (prefix + "error.log").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken, or a bad config
      pid_ = -1;
      return false;
    }
    if (accepts_connections(port_)) return true;
    ::usleep(10 * 1000);
  }
  return false;
}

NginxServer::~NginxServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // fast shutdown; the master stops its worker
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string NginxServer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string NginxServer::access_log() const {
  return fs::exists(dir_ / "access.log") ? read_file(dir_ / "access.log") : std::string();
}

bool NginxServer::logged(const std::string& needle) const {
  for (int i = 0; i < 200; ++i) {
    if (access_log().find(needle) != std::string::npos) return true;
    ::usleep(10 * 1000);
  }
  return false;
}

bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::vector<std::size_t> servers_holding(const std::vector<std::unique_ptr<NginxServer>>& servers,
                                         const std::string& hash) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    if (servers[i] && boost::filesystem::exists(servers[i]->data_dir() / "cas" / hash)) {
      out.push_back(i);
    }
  }
  return out;
}

int unused_port() {
  int port = 0;
  ::close(bound_socket(&port));
  return port;
}

SilentListener::SilentListener() {
  fd_ = bound_socket(&port_);
  ::listen(fd_, 64);
}

SilentListener::~SilentListener() { ::close(fd_); }

RawHttpServer::RawHttpServer(std::string response) : response_(std::move(response)) {
  fd_ = bound_socket(&port_);
  ::listen(fd_, 64);
  thread_ = std::thread([this] { serve(); });
}

RawHttpServer::~RawHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

void RawHttpServer::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    // Read the request head (up to its blank line), answer, close.
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd c{conn, POLLIN, 0};
      if (::poll(&c, 1, 2000) <= 0) break;
      ssize_t n = ::read(conn, buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    ssize_t ignored = ::write(conn, response_.data(), response_.size());
    (void)ignored;
    ::close(conn);
  }
}

RemoteResult fetch_to_file(Remote& remote, const std::string& hash,
                           const boost::filesystem::path& file, std::string* body) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0);
  RemoteResult r = remote.fetch(hash, fd);
  ::close(fd);
  if (body) *body = read_file(file);
  return r;
}

}  // namespace cas::test
