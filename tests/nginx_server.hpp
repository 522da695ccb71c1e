// Test helpers for the remote tier: a real nginx on 127.0.0.1 (WebDAV PUT) started from a
// configuration in a temp directory on a free port, and raw sockets that misbehave on purpose.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/filesystem/path.hpp>

#include "cas/remote.hpp"
#include "test_util.hpp"

namespace cas::test {

// The nginx binary, or "" when nginx is not installed (tests then GTEST_SKIP).
std::string nginx_binary();

// Skips the current test, saying why, when nginx is not installed.
#define CAS_SKIP_WITHOUT_NGINX()           \
  if (::cas::test::nginx_binary().empty()) \
  GTEST_SKIP() << "nginx is not installed (Debian: nginx-light); the remote tests need it"

// Whether the openssl command is installed (the https tests skip without it).
bool have_openssl();

// Makes a self-signed certificate for 127.0.0.1 (cert.pem, key.pem in `dir`) with the openssl
// command. Returns false when it could not.
bool make_test_certificate(const boost::filesystem::path& dir);

// nginx serving `data_dir()` as BASE/cas/<hash> with PUT, and these bases besides:
//   /fail   every request answers 500
//   /busy   every request answers 503 with Retry-After: 1
//   /tohttp/X?to=PORT  a 302 to http://127.0.0.1:PORT/X (from https: a downgrade)
//   /ro     GET/HEAD of the same files, PUT refused with 403
//   /nodav  GET/HEAD of the same files, PUT refused with 405 (no dav_methods)
//   /moved/X  a 302 to /X
//   /slow/X   data_dir()/X at 4 MiB/s (so that a download lasts while others miss it)
// Any other path is data_dir()/path (GET).
// Started in the constructor (throws std::runtime_error when it does not come up), stopped in
// the destructor. With `tls`, it speaks https (HTTP/2 too) with make_test_certificate's pair,
// and cert_file() is the CA to trust.
class NginxServer {
 public:
  explicit NginxServer(bool tls = false);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" (or https), without a trailing '/'.
  std::string url() const;
  // The directory behind BASE/cas/: data_dir() / "cas" / <hash> is an object.
  boost::filesystem::path data_dir() const { return dir_ / "data"; }
  boost::filesystem::path cert_file() const { return dir_.path() / "cert.pem"; }
  // The access log (one line per request: "METHOD URI PROTOCOL" status bytes
  // connection=<serial number of the connection>).
  std::string access_log() const;
  // Whether the access log has `needle`, waiting up to 2 s: nginx logs a request after it has
  // answered it, so the client may look first.
  bool logged(const std::string& needle) const;

 private:
  bool start_once();
  TempDir dir_;
  bool tls_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A port nothing listens on (bound, then closed).
int unused_port();

// The indices of the servers (skipping null ones: stopped) whose data directory holds the object
// `hash`: where a sharded push put it.
std::vector<std::size_t> servers_holding(const std::vector<std::unique_ptr<NginxServer>>& servers,
                                         const std::string& hash);

// Whether something on 127.0.0.1:port accepts a TCP connection.
bool accepts_connections(int port);

// Fetches `hash` from `remote` into a fresh `file`; returns the result and, in *body, what was
// written (the test's view of what a caller's fd would hold).
RemoteResult fetch_to_file(Remote& remote, const std::string& hash,
                           const boost::filesystem::path& file, std::string* body = nullptr);

// A listening socket on 127.0.0.1 that never accepts: connects succeed (the kernel's backlog),
// requests are never answered. Closed on destruction.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Answers every connection with `response` (raw bytes: status line, headers, body) after
// reading the request, then closes it: a body shorter than its Content-Length is a truncated
// transfer.
class RawHttpServer {
 public:
  explicit RawHttpServer(std::string response);
  ~RawHttpServer();
  int port() const { return port_; }

 private:
  void serve();
  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cas::test
