// How cas::HttpRemote's bulk forms use connections, read from a real nginx's access log (each
// request names its connection's serial number): over plain http (HTTP/1.1, one request at a
// time per connection) max_in_flight requests need as many connections, and get them; over TLS
// with HTTP/2 they share one, multiplexed.
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

using test::NginxServer;
using test::TempDir;

constexpr int kObjects = 200;
constexpr unsigned kInFlight = 8;

// Serves kObjects objects from `nginx`, fetches them all with kInFlight in flight, and returns
// the distinct connections the GETs came on.
std::set<std::string> connections_of_a_bulk_fetch(NginxServer& nginx, HttpRemoteOptions options) {
  TempDir tmp;
  std::vector<std::string> hashes;
  std::vector<int> fds;
  for (int i = 0; i < kObjects; ++i) {
    const std::string content = "object " + std::to_string(i);
    hashes.push_back(hash_bytes(content, HashAlgorithm::sha256));
    test::write_file(nginx.data_dir() / "cas" / hashes.back(), content);
    fds.push_back(::open((tmp / std::to_string(i)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  options.max_in_flight = kInFlight;
  HttpRemote remote(nginx.url(), options);
  // A first request leaves a connection the remote keeps for the next call, which must still
  // open more when it has several requests in flight.
  EXPECT_EQ(remote.contains(hashes.front()).status, RemoteStatus::present);
  std::vector<RemoteResult> got = remote.fetch_many(hashes, fds);
  for (int fd : fds) ::close(fd);
  for (const RemoteResult& r : got) EXPECT_EQ(r.status, RemoteStatus::present) << r.error;
  EXPECT_TRUE(nginx.logged("GET /cas/" + hashes.back()));
  std::set<std::string> connections;
  std::istringstream log(nginx.access_log());
  for (std::string line; std::getline(log, line);) {
    const auto at = line.find("connection=");
    if (line.find("\"GET /cas/") != std::string::npos && at != std::string::npos) {
      connections.insert(line.substr(at));
    }
  }
  return connections;
}

TEST(HttpConnectionsTest, OverPlainHttpRequestsInFlightEachHaveAConnection) {
  CAS_SKIP_WITHOUT_NGINX();
  NginxServer nginx;
  const std::set<std::string> connections = connections_of_a_bulk_fetch(nginx, {});
  // One connection would mean the requests ran one after the other.
  EXPECT_GT(connections.size(), kInFlight / 2);
  EXPECT_LE(connections.size(), kInFlight);
}

TEST(HttpConnectionsTest, OverHttp2RequestsInFlightShareOneConnection) {
  CAS_SKIP_WITHOUT_NGINX();
  if (!test::have_openssl()) GTEST_SKIP() << "no openssl command to make a test certificate";
  NginxServer nginx(/*tls=*/true);
  HttpRemoteOptions options;
  options.ca_file = nginx.cert_file();
  EXPECT_EQ(connections_of_a_bulk_fetch(nginx, options).size(), 1u);
  EXPECT_TRUE(nginx.logged("HTTP/2.0"));
}

}  // namespace
}  // namespace cas
