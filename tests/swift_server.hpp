// Test helper for the S3 remote: a real S3 server on 127.0.0.1 — OpenStack Swift (Debian's
// swift-proxy, swift-account, swift-container, swift-object) with its s3api middleware and
// tempauth — started in a temp directory: a one-replica ring on one directory, one process per
// server (workers = 0), each on a free port, logging to a UDP socket of the fixture's own.
//
// Starting it takes 3-20 s and ~280 MiB, so a test binary starts ONE (shared_swift()) and keeps
// it until exit; the S3 suites run in one ctest process (tests/CMakeLists.txt) to share it.
//
// Thread-safety: the server is used from the test's main thread; its log is read by a thread of
// its own and guarded.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace cas::test {

// Why an S3 server cannot run here ("" when it can): Swift or curl not installed, or
// /etc/swift/swift.conf (which Swift reads from that fixed path) absent and not writable.
std::string swift_unavailable();

class SwiftServer;

// The one server of this process, started at the first call; nullptr (and *why set) when it
// cannot run or did not start.
SwiftServer* shared_swift(std::string* why);

// Skips the current test, saying why, when there is no S3 server; else sets `var` to it.
#define CAS_SWIFT_OR_SKIP(var)                                                \
  std::string cas_swift_why_;                                                 \
  ::cas::test::SwiftServer* var = ::cas::test::shared_swift(&cas_swift_why_); \
  if (var == nullptr)                                                         \
  GTEST_SKIP() << "no S3 server (OpenStack Swift) for this test: " << cas_swift_why_

class SwiftServer {
 public:
  // tempauth's user: `user_test_tester = testing .admin`; the S3 access key is account:user.
  static constexpr const char* kAccessKey = "test:tester";
  static constexpr const char* kSecret = "testing";
  static constexpr const char* kRegion = "us-east-1";

  // Starts the four servers and waits until the proxy answers. Throws std::runtime_error (with
  // the servers' output) when they do not come up within 60 s.
  SwiftServer();
  ~SwiftServer();
  SwiftServer(const SwiftServer&) = delete;
  SwiftServer& operator=(const SwiftServer&) = delete;

  // "http://127.0.0.1:<port>": the S3 endpoint (AWS_ENDPOINT_URL).
  std::string endpoint() const;
  // Creates `bucket` (a signed PUT /bucket, by the curl command); throws std::runtime_error when
  // the server refuses.
  void create_bucket(const std::string& bucket) const;
  // A bucket name not used before in this process ("cas-test-<n>"), created.
  std::string new_bucket() const;
  // The servers' log lines so far (the proxy's access log with the x-amz-security-token header).
  std::string log() const;
  // Whether the log has `needle`, waiting up to 5 s (a request is logged after its answer).
  bool logged(const std::string& needle) const;

 private:
  void start(const std::string& name);
  void wait_until_up();
  bool any_exited() const;
  // Stops the servers (SIGTERM, then SIGKILL after 5 s) and the log reader.
  void stop();
  void read_log();

  TempDir dir_;
  int proxy_port_ = 0;
  std::vector<pid_t> pids_;
  int log_fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex log_mutex_;
  std::string log_;
  std::thread log_thread_;
};

}  // namespace cas::test
