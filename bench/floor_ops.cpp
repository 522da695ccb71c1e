#include "floor_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"

namespace cas::bench {
namespace {

using Clock = std::chrono::steady_clock;

double micros_per_op(Clock::time_point t0, Clock::time_point t1, std::uint64_t count) {
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(count);
}

// The absolute path of `hash` under the store's first (preferred) layout.
std::string placed_path(const Store& store, const std::string& hash) {
  return store.root().string() + "/" + store.options().layouts.front()->lookup(hash);
}

using Items = std::vector<std::pair<std::string, std::string>>;  // hash, source

// The destination of each prepared source, its bucket created (untimed: the floor is the
// rename into an existing bucket).
std::vector<std::string> destinations(const Store& store, const Items& items) {
  std::vector<std::string> paths;
  for (const auto& item : items) {
    paths.push_back(placed_path(store, item.first));
    boost::filesystem::create_directories(boost::filesystem::path(paths.back()).parent_path());
  }
  return paths;
}

void rename_all(const Items& items, const std::vector<std::string>& paths) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (::rename(items[i].second.c_str(), paths[i].c_str()) != 0) {
      throw_errno(errno, "rename", paths[i]);
    }
  }
}

void unlink_all(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    if (::unlink(p.c_str()) != 0) throw_errno(errno, "unlink", p);
  }
}

}  // namespace

OpTiming floor_insert(Store& store, std::uint64_t size, std::uint64_t count,
                      std::size_t file_size) {
  auto items = prepare_sources(store, kFloorBase + size, count, file_size);
  auto paths = destinations(store, items);
  auto t0 = Clock::now();
  rename_all(items, paths);
  auto t1 = Clock::now();
  // The Store's remove also prunes the buckets this created; the floor's store must end equal.
  for (const auto& item : items) store.remove(item.first);
  return {micros_per_op(t0, t1, count), count};
}

OpTiming floor_remove(Store& store, std::uint64_t size, std::uint64_t count,
                      std::size_t file_size) {
  auto items = prepare_sources(store, kFloorBase + size, count, file_size);
  auto paths = destinations(store, items);
  rename_all(items, paths);
  ::sync();  // as time_remove: no write-back of the placements during the timed unlinks
  auto t0 = Clock::now();
  unlink_all(paths);
  auto t1 = Clock::now();
  // Buckets the placement created (small stores; V0's per-file directories) go as well, so
  // the next measurement finds the store as it was.
  for (const auto& p : paths) {
    auto dir = boost::filesystem::path(p).parent_path();
    while (dir != store.root() && ::rmdir(dir.c_str()) == 0) dir = dir.parent_path();
  }
  return {micros_per_op(t0, t1, count), count};
}

OpTiming floor_random_open(Store& store, std::uint64_t size, std::uint64_t count,
                           std::size_t file_size, bool hit, bool cold, std::uint32_t seed) {
  const std::string root = store.root().string();
  std::vector<std::string> paths;
  for (const auto& h : random_hashes(size, count, file_size, hit, seed)) {
    if (hit) {
      paths.push_back(placed_path(store, h));
      continue;
    }
    for (const auto& layout : store.options().layouts)
      paths.push_back(root + "/" + layout->lookup(h));
  }
  if (cold) drop_caches();
  std::vector<char> buf(std::max<std::size_t>(file_size, 1));
  std::uint64_t found = 0;
  auto reads0 = disk_reads(root);
  auto t0 = Clock::now();
  for (const auto& p : paths) {
    if (hit) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      found += ::read(fd, buf.data(), buf.size()) >= 0;
      ::close(fd);
    } else {
      struct stat st;
      found += ::stat(p.c_str(), &st) == 0;
    }
  }
  auto t1 = Clock::now();
  if (hit && found != count) {
    throw Error("benchmark store " + root + " is missing files (" + std::to_string(count - found) +
                " of " + std::to_string(count) + " not found by open)");
  }
  OpTiming t{micros_per_op(t0, t1, count), count};
  auto reads1 = reads0 ? disk_reads(root) : std::nullopt;
  if (reads1) t.reads_per_op = static_cast<double>(*reads1 - *reads0) / static_cast<double>(count);
  return t;
}

}  // namespace cas::bench
