// Helpers of the fetch tests (fetch_test.cpp, fetch_concurrency_test.cpp,
// tools/cas_cli_fetch_test.cpp): serving a file from nginx, counting its requests and their
// connections, counting a store's temp files.
#pragma once

#include <cstddef>
#include <set>
#include <string>

#include <boost/filesystem.hpp>

#include "cas/store.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas::test {

// Writes `content` as data_dir()/files/<name> and returns the URL nginx serves it at.
inline std::string serve_file(const NginxServer& server, const std::string& name,
                              const std::string& content) {
  boost::filesystem::create_directories(server.data_dir() / "files");
  write_file(server.data_dir() / "files" / name, content);
  return server.url() + "/files/" + name;
}

// How many lines of the access log hold `needle` ("GET /files/a "), once nginx has logged them.
inline std::size_t count_requests(const NginxServer& server, const std::string& needle) {
  server.logged(needle);  // waits up to 2 s for the first
  std::size_t n = 0;
  for (const auto& line : lines_of(server.access_log())) {
    n += line.find(needle) != std::string::npos;
  }
  return n;
}

// How many connections the requests whose log lines hold `needle` came over.
inline std::size_t count_connections(const NginxServer& server, const std::string& needle) {
  server.logged(needle);
  std::set<std::string> connections;
  for (const auto& line : lines_of(server.access_log())) {
    const auto at = line.rfind("connection=");
    if (line.find(needle) != std::string::npos && at != std::string::npos) {
      connections.insert(line.substr(at));
    }
  }
  return connections.size();
}

// The files in the store's temp area (named ones: anonymous temps leave nothing to count).
inline std::size_t temp_files(const Store& store) {
  const auto tmp = store.root() / std::string(Store::kTempDirName);
  if (!boost::filesystem::exists(tmp)) return 0;
  std::size_t n = 0;
  for (auto it = boost::filesystem::directory_iterator(tmp); it != decltype(it)(); ++it) ++n;
  return n;
}

}  // namespace cas::test
