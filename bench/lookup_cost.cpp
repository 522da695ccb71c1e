// cas-lookup-cost: the cost of one Store::lookup hit (or Store::open) against its syscall
// floor, warm cache.
//
// Lists a V1 store (ROOT/xx/<hash>), shuffles the names, then times --passes passes over all of
// them in one of these modes, and prints the median, min and max µs per operation of the passes:
//   lookup        Store::lookup of each file as it is (fresh files: no touch)
//   lookup-stale  before each pass (untimed) every file's mtime is set 2 h back, so each
//                 lookup finds a stale file and (with touch_on_use) sets its mtime to now
//   lstat         the floor of a lookup hit: lstat of the precomputed path
//   utimensat     the floor of a touch: utimensat(path, nullptr)
//   lstat+utimensat  the floor of a lookup hit that touches
//   open          Store::open of each file and a read of its bytes (the stream's first buffer)
//   open-floor    open(2) + read(2) + close(2) of the precomputed path (cas-bench's open floor)
//   open-path     the same, the path built from the hash first (root/h[0:2]/h, as V1 places it)
//   open-path-fstat  that, plus the fstat(2) Store::open makes (the file's size and mtime: the
//                 stream's buffer is sized by it and touch_on_use reads the mtime)
// It uses only Store's constructor and lookup(), so the same source builds against the library
// before and after touch_on_use existed (`bench/trim_bench.py lookup` builds both).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cas/store.hpp"
#include "tool_cli.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string root;
  std::string mode = "lookup";
  unsigned passes = 5;
  std::uint64_t seed = 1;
};

struct File {
  std::string hash;
  std::string path;
};

// Every regular file ROOT/xx/<name>, in the order of a seeded shuffle.
std::vector<File> list_store(const std::string& root, std::uint64_t seed) {
  std::vector<File> files;
  DIR* top = ::opendir(root.c_str());
  if (!top) throw std::runtime_error("cannot open " + root);
  while (dirent* d = ::readdir(top)) {
    std::string bucket = d->d_name;
    if (bucket.size() != 2 || bucket[0] == '.') continue;  // ".." is two characters too
    DIR* sub = ::opendir((root + "/" + bucket).c_str());
    if (!sub) continue;
    while (dirent* e = ::readdir(sub)) {
      if (e->d_type != DT_REG) continue;
      files.push_back({e->d_name, root + "/" + bucket + "/" + e->d_name});
    }
    ::closedir(sub);
  }
  ::closedir(top);
  std::mt19937_64 rng(seed);
  std::shuffle(files.begin(), files.end(), rng);
  return files;
}

void set_stale(const std::vector<File>& files) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 2 * 3600;
  times[1] = times[0];
  for (const auto& f : files) {
    if (::utimensat(AT_FDCWD, f.path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      throw std::runtime_error("utimensat " + f.path);
    }
  }
}

// The open floors: open + read + close of each file, the path precomputed (open-floor) or
// built from the hash (open-path), with an fstat (open-path-fstat). Returns the files read.
std::uint64_t open_floor(const std::string& mode, const std::string& root,
                         const std::vector<File>& files) {
  const bool build_path = mode != "open-floor";  // decided once, not in the timed loop
  const bool with_fstat = mode == "open-path-fstat";
  char buf[4096];
  std::string path;
  std::uint64_t ok = 0;
  struct stat st;
  for (const auto& f : files) {
    const char* p = f.path.c_str();
    if (build_path) {
      path.assign(root).append("/").append(f.hash, 0, 2).append("/").append(f.hash);
      p = path.c_str();
    }
    const int fd = ::open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (with_fstat && ::fstat(fd, &st) != 0) {
      ::close(fd);
      continue;
    }
    ok += ::read(fd, buf, sizeof buf) > 0;
    ::close(fd);
  }
  return ok;
}

// One timed pass; returns µs per file.
double pass(const std::string& mode, cas::Store& store, const std::vector<File>& files) {
  std::uint64_t ok = 0;
  struct stat st;
  auto t0 = Clock::now();
  if (mode == "lookup" || mode == "lookup-stale") {
    for (const auto& f : files) ok += store.lookup(f.hash).has_value();
  } else if (mode == "lstat") {
    for (const auto& f : files) ok += ::lstat(f.path.c_str(), &st) == 0;
  } else if (mode == "utimensat") {
    for (const auto& f : files) {
      ok += ::utimensat(AT_FDCWD, f.path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0;
    }
  } else if (mode == "open") {
    char buf[4096];
    for (const auto& f : files) {
      auto in = store.open(f.hash);
      ok += in && in->read(buf, sizeof buf).gcount() > 0;
    }
  } else if (mode.starts_with("open-")) {
    ok = open_floor(mode, store.root().string(), files);
  } else {  // lstat+utimensat
    for (const auto& f : files) {
      ok += ::lstat(f.path.c_str(), &st) == 0 &&
            ::utimensat(AT_FDCWD, f.path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0;
    }
  }
  std::chrono::duration<double, std::micro> us = Clock::now() - t0;
  if (ok != files.size()) throw std::runtime_error("some files were not found");
  return us.count() / static_cast<double>(files.size());
}

// Files whose mtime is within the last minute (after lookup-stale: those that were touched).
std::size_t count_fresh(const std::vector<File>& files) {
  const std::time_t now = std::time(nullptr);
  std::size_t n = 0;
  struct stat st;
  for (const auto& f : files) n += ::lstat(f.path.c_str(), &st) == 0 && now - st.st_mtime < 60;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app("Times Store::lookup hits (or their syscall floor) over a whole V1 store.",
               "cas-lookup-cost");
  cas::tool::add_version_flag(app);
  app.add_option("--mode", cfg.mode,
                 "lookup, lookup-stale, lstat, utimensat, lstat+utimensat, open, open-floor, "
                 "open-path, open-path-fstat")
      ->check(CLI::IsMember({"lookup", "lookup-stale", "lstat", "utimensat", "lstat+utimensat",
                             "open", "open-floor", "open-path", "open-path-fstat"}))
      ->capture_default_str();
  cas::tool::add_number(app, "--passes", cfg.passes, "timed passes over the store")->type_name("N");
  cas::tool::add_number(app, "--seed", cfg.seed, "shuffle seed")->type_name("N");
  app.add_option("ROOT", cfg.root, "a V1 store")->required();
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  try {
    auto files = list_store(cfg.root, cfg.seed);
    cas::Store store(cfg.root);
    std::vector<double> us;
    for (unsigned r = 0; r < cfg.passes; ++r) {
      if (cfg.mode == "lookup-stale") set_stale(files);
      us.push_back(pass(cfg.mode, store, files));
    }
    std::sort(us.begin(), us.end());
    std::cout << "mode " << cfg.mode << " files " << files.size() << " median_us "
              << us[us.size() / 2] << " min_us " << us.front() << " max_us " << us.back()
              << " fresh_after " << count_fresh(files) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cas-lookup-cost: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
