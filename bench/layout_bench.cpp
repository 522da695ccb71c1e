#include "layout_bench.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "tree_generator.hpp"

namespace cas::bench {
namespace {

constexpr const char* kCompleteMarker = ".cas-bench-complete";
using Clock = std::chrono::steady_clock;

std::string sanitize(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), ':', '-');
  std::replace(s.begin(), s.end(), ',', '_');
  return s;
}

void write_source(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(errno, "create", path);
  ssize_t w = ::write(fd, data.data(), data.size());
  ::close(fd);
  if (w != static_cast<ssize_t>(data.size())) throw_errno(EIO, "write", path);
}

// The block device a directory's filesystem is mounted from. Most filesystems report it as
// st_dev; btrfs reports an anonymous number (major 0) per subvolume, which /proc/diskstats does
// not list, so the device is taken from the mount holding `dir` (for a btrfs over several
// devices, the first: its reads are then a part). tmpfs has no device: nothing.
std::optional<dev_t> block_device(const std::string& dir, dev_t dev) {
  if (major(dev) != 0) return dev;
  auto mount = mount_holding(dir);
  struct stat st;
  if (mount && mount->source.starts_with("/") && ::stat(mount->source.c_str(), &st) == 0 &&
      S_ISBLK(st.st_mode)) {
    return st.st_rdev;
  }
  return std::nullopt;
}

}  // namespace

Footprint footprint(const Layout& layout, std::uint64_t files, std::size_t file_size,
                    const std::string& fs_type) {
  Footprint f;
  std::uint64_t dirs = 0;
  // Directories per level: at most 16^(prefix so far), at most one per file.
  if (auto* fanout = dynamic_cast<const FanoutLayout*>(&layout)) {
    std::size_t prefix = 0;
    for (auto w : fanout->widths()) {
      prefix += w;
      double possible = std::pow(16.0, static_cast<double>(prefix));
      dirs += static_cast<std::uint64_t>(std::min<double>(possible, static_cast<double>(files)));
    }
  } else {
    dirs = files;
  }
  f.inodes = files + dirs + 1;
  const std::uint64_t block = 4096;
  const std::uint64_t data = (file_size + block - 1) / block * block;
  const bool small = file_size <= 128;
  // Directory entries cost ~64 bytes wherever they live (name, hash-tree or B-tree overhead).
  if ((fs_type == "ext4" || fs_type == "ext4-journal") && small) {
    f.bytes = files * 64;
  } else if (fs_type == "xfs") {
    f.bytes = files * (data + 64) + f.inodes * 512;
  } else if (fs_type == "btrfs" && small) {
    f.bytes = 2 * (files * (file_size + 256) + f.inodes * 256);
  } else if (fs_type == "tmpfs") {
    f.bytes = files * data;
  } else {
    f.bytes = files * data + dirs * block;
  }
  return f;
}

Footprint available(const std::string& dir) {
  struct statvfs vfs;
  Footprint f;
  if (::statvfs(dir.c_str(), &vfs) == 0) {
    // btrfs reports no inode count (it allocates them as it goes): no limit to check.
    f.inodes = vfs.f_files == 0 ? UINT64_MAX / 1000 : vfs.f_favail;  // (x 95 / 100 later)
    f.bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  return f;
}

std::string store_dir(const std::string& bench_dir, const Layout& layout, std::uint64_t size) {
  return bench_dir + "/" + sanitize(layout.name()) + "-" + std::to_string(size);
}

void remove_store_dir(const std::string& dir) {
  if (!boost::filesystem::exists(dir)) return;
  // The library's parallel purge (a V0 store has a directory per file; remove_all would take
  // minutes), then the emptied root and temp area.
  Store store(dir);
  purge(store);
  boost::filesystem::remove_all(dir);
}

bool ensure_store(const std::string& bench_dir, const Layout& layout, std::uint64_t size,
                  std::size_t file_size, unsigned threads) {
  const std::string dir = store_dir(bench_dir, layout, size);
  const std::string marker = dir + "/" + kCompleteMarker;
  std::string expected = std::to_string(size) + " " + std::to_string(file_size);
  {
    std::ifstream in(marker);
    std::string line;
    if (in && std::getline(in, line) && line == expected) return false;
  }
  boost::filesystem::create_directories(bench_dir);
  remove_store_dir(dir);
  populate(dir, layout, 0, size, file_size, threads);
  ::sync();
  std::ofstream(marker) << expected << "\n";
  return true;
}

StoreOptions bench_options(const std::shared_ptr<const Layout>& layout, Durability durability) {
  StoreOptions o;
  o.layouts = {layout};
  for (const auto& l : default_layouts()) {
    if (l->name() != layout->name()) o.layouts.push_back(l);
  }
  o.durability = durability;
  return o;
}

bool drop_caches() {
  ::sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3\n";
  return static_cast<bool>(f.flush());
}

std::vector<std::pair<std::string, std::string>> prepare_sources(Store& store, std::uint64_t first,
                                                                 std::uint64_t count,
                                                                 std::size_t file_size) {
  const std::string tmp = (store.root() / std::string(Store::kTempDirName)).string();
  boost::filesystem::create_directories(tmp);
  std::vector<std::pair<std::string, std::string>> items;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string data = payload(first + i, file_size);
    std::string src = tmp + "/bench-src-" + std::to_string(i);
    write_source(src, data);
    items.emplace_back(hash_bytes(data, HashAlgorithm::sha256), src);
  }
  return items;
}

std::vector<std::string> random_hashes(std::uint64_t size, std::uint64_t count,
                                       std::size_t file_size, bool hit, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> hashes;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t index = hit ? rng() % size : kExtraBase * 2 + rng() % kExtraBase;
    hashes.push_back(file_hash(index, file_size));
  }
  return hashes;
}

std::optional<MountEntry> mount_holding(const std::string& dir) {
  struct stat target;
  if (::stat(dir.c_str(), &target) != 0) return std::nullopt;
  std::ifstream mounts("/proc/mounts");
  std::optional<MountEntry> best;
  MountEntry m;
  while (mounts >> m.source >> m.point >> m.type >> m.options) {
    mounts.ignore(1024, '\n');
    struct stat st;
    // The longest mount point on the same device is the one holding dir (a later mount on the
    // same point hides an earlier one).
    if (::stat(m.point.c_str(), &st) == 0 && st.st_dev == target.st_dev &&
        (!best || m.point.size() >= best->point.size())) {
      best = m;
    }
  }
  return best;
}

std::optional<std::uint64_t> disk_reads(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  auto dev = block_device(dir, st.st_dev);
  if (!dev) return std::nullopt;
  std::ifstream in("/proc/diskstats");
  unsigned maj = 0, min = 0;
  std::string name;
  std::uint64_t reads = 0;
  std::string rest;
  while (in >> maj >> min >> name >> reads && std::getline(in, rest)) {
    if (maj == major(*dev) && min == minor(*dev)) return reads;
  }
  return std::nullopt;
}

OpTiming time_insert(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size) {
  auto items = prepare_sources(store, kExtraBase + size, count, file_size);
  auto t0 = Clock::now();
  for (const auto& [hash, src] : items) store.insert(hash, src);
  // A batch is durable only once flushed: its one syncfs is part of the cost.
  if (store.options().durability == Durability::batch) store.flush();
  auto t1 = Clock::now();
  for (const auto& item : items) store.remove(item.first);
  return {std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(count),
          count};
}

OpTiming time_remove(Store& store, std::uint64_t size, std::uint64_t count, std::size_t file_size) {
  std::vector<std::string> hashes;
  for (const auto& [hash, src] : prepare_sources(store, kExtraBase + size, count, file_size)) {
    store.insert(hash, src);
    hashes.push_back(hash);
  }
  ::sync();  // the inserts' metadata must not be written back during the timed removals
  auto t0 = Clock::now();
  for (const auto& h : hashes) store.remove(h);
  auto t1 = Clock::now();
  return {std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(count),
          count};
}

OpTiming time_random_open(Store& store, std::uint64_t size, std::uint64_t count,
                          std::size_t file_size, bool hit, bool cold, std::uint32_t seed) {
  auto hashes = random_hashes(size, count, file_size, hit, seed);
  if (cold) drop_caches();
  std::vector<char> buf(std::max<std::size_t>(file_size, 1));
  std::uint64_t found = 0;
  const std::string root = store.root().string();
  auto reads0 = disk_reads(root);
  auto t0 = Clock::now();
  for (const auto& h : hashes) {
    if (hit) {
      auto in = store.open(h);
      if (in) {
        in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
        ++found;
      }
    } else {
      found += store.lookup(h).has_value();
    }
  }
  auto t1 = Clock::now();
  if (hit && found != count) {
    throw Error("benchmark store " + root + " is missing files (" + std::to_string(count - found) +
                " of " + std::to_string(count) + " not found)");
  }
  OpTiming t{
      std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(count),
      count};
  auto reads1 = reads0 ? disk_reads(root) : std::nullopt;
  if (reads1) t.reads_per_op = static_cast<double>(*reads1 - *reads0) / static_cast<double>(count);
  return t;
}

}  // namespace cas::bench
