// cas-remote-miss: the cost of one read-through miss (Store::open of a hash only the remote has)
// beside its two parts: the GET alone (HttpRemote::fetch into an anonymous temp file, hashing
// the body) and the local publish alone (Store::put of the same bytes from a local file: copy,
// hash, fsync as the durability asks, link). Driven by bench/remote_bench.py.
//
// Uploads 3 x --count objects of --size random bytes to --url first (untimed), then times, one
// object at a time and interleaved (GET, put, open, GET, put, open...) so machine noise hits
// the three alike, and prints "get=<µs> publish=<µs> read_through=<µs>": medians per object.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/filesystem.hpp>

#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/store.hpp"
#include "tool_cli.hpp"

namespace {

namespace fs = boost::filesystem;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename F>
double time_us(F&& f) {
  auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Times a read-through miss against a GET alone and a local publish alone.",
               "cas-remote-miss");
  cas::tool::add_version_flag(app);
  std::string url, dir, durability = "file";
  unsigned count = 300, size = 4096;
  app.add_option("--url", url, "The remote's base URL (an empty nginx WebDAV is fine)")->required();
  app.add_option("--dir", dir, "A scratch directory on the disk to measure")->required();
  app.add_option("--count", count, "Objects per measurement")->capture_default_str();
  app.add_option("--size", size, "Bytes per object")->capture_default_str();
  app.add_option("--durability", durability, "file or none")
      ->check(CLI::IsMember({"file", "none"}))
      ->capture_default_str();
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;

  fs::remove_all(dir);
  fs::create_directories(fs::path(dir) / "src");
  std::mt19937_64 random(42);
  std::vector<std::string> hashes;
  std::vector<fs::path> sources;
  for (unsigned i = 0; i < 3 * count; ++i) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    sources.push_back(fs::path(dir) / "src" / std::to_string(i));
    std::FILE* f = std::fopen(sources.back().c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    hashes.push_back(cas::hash_bytes(bytes, cas::HashAlgorithm::sha256));
  }
  auto remote = std::make_shared<cas::HttpRemote>(url);
  for (const auto& r : remote->upload_many(hashes, sources)) {
    if (r.status != cas::RemoteStatus::present) {
      std::cerr << "cas-remote-miss: " << r.error << '\n';
      return 1;
    }
  }
  cas::StoreOptions local_options;
  local_options.durability = durability == "none" ? cas::Durability::none : cas::Durability::file;
  cas::StoreOptions through_options = local_options;
  through_options.remote = remote;
  cas::Store local(fs::path(dir) / "local", local_options);
  cas::Store through(fs::path(dir) / "through", through_options);
  const std::string temp_dir = (fs::path(dir) / "get").string();
  fs::create_directories(temp_dir);
  // Warm up: the first of each opens connections and directories.
  local.put(sources[0]);
  through.open(hashes[1]);

  std::vector<double> get, publish, read_through;
  for (unsigned i = 1; i < count; ++i) {
    get.push_back(time_us([&] {
      int fd = ::open(temp_dir.c_str(), O_TMPFILE | O_RDWR, 0644);
      remote->fetch(hashes[3 * i], fd);
      ::close(fd);
    }));
    publish.push_back(time_us([&] { local.put(sources[3 * i + 1]); }));
    read_through.push_back(time_us([&] {
      if (!through.open(hashes[3 * i + 2])) throw std::runtime_error("read-through missed");
    }));
  }
  std::cout << "get=" << median(get) << " publish=" << median(publish)
            << " read_through=" << median(read_through) << '\n';
  fs::remove_all(dir);
  return 0;
}
