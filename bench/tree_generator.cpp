#include "tree_generator.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "cas/hash.hpp"

namespace cas::bench {
namespace {

void mkdirs(const std::string& root, const std::string& rel) {
  std::string path = root;
  std::size_t pos = 0;
  while ((pos = rel.find('/', pos)) != std::string::npos) {
    std::string dir = root + "/" + rel.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      throw_errno(errno, "mkdir", dir);
    }
    ++pos;
  }
}

// Sets the file's access and modification times when `when` is given.
void write_file(const std::string& root, const std::string& rel, const std::string& data,
                const timespec* when) {
  std::string path = root + "/" + rel;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    mkdirs(root, rel);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (fd < 0) throw_errno(errno, "create", path);
  ssize_t w = ::write(fd, data.data(), data.size());
  int err = errno;
  if (when && w >= 0) {
    const timespec times[2] = {*when, *when};
    if (::futimens(fd, times) != 0) err = errno, w = -1;
  }
  ::close(fd);
  if (w != static_cast<ssize_t>(data.size())) throw_errno(w < 0 ? err : EIO, "write", path);
}

// A well-mixed function of i (splitmix64's finalizer): file i's age, spread evenly.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string payload(std::uint64_t i, std::size_t size) {
  std::string s = "cas-bench file " + std::to_string(i) + "\n";
  if (s.size() < size) s.append(size - s.size(), static_cast<char>('a' + i % 26));
  return s;
}

std::string file_hash(std::uint64_t i, std::size_t size) {
  return hash_bytes(payload(i, size), HashAlgorithm::sha256);
}

void populate(const std::string& root, const Layout& layout, std::uint64_t first,
              std::uint64_t count, std::size_t size, unsigned threads,
              const std::function<void(std::uint64_t)>& progress,
              std::uint64_t age_spread_seconds) {
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t now_ns = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
  const std::uint64_t spread_ns = age_spread_seconds * 1'000'000'000ULL;
  auto time_of = [&](std::uint64_t i) {
    const auto t = now_ns - static_cast<std::int64_t>(mix(i) % spread_ns);
    return timespec{static_cast<time_t>(t / 1'000'000'000), static_cast<long>(t % 1'000'000'000)};
  };
  // Parents included, as `mkdir -p` would: the README's examples name fresh directories.
  boost::system::error_code ec;
  boost::filesystem::create_directories(root, ec);
  if (ec) throw_errno(ec.value(), "mkdir", root);
  if (threads == 0) threads = 1;
  std::atomic<std::uint64_t> next{first}, done{0};
  std::mutex error_mu;
  std::exception_ptr error;
  auto worker = [&](unsigned id) {
    try {
      // Claim indices in blocks: few atomic operations, yet an even split.
      constexpr std::uint64_t kBlock = 256;
      while (true) {
        std::uint64_t begin = next.fetch_add(kBlock);
        if (begin >= first + count) break;
        std::uint64_t end = std::min(begin + kBlock, first + count);
        for (std::uint64_t i = begin; i < end; ++i) {
          std::string data = payload(i, size);
          const timespec when = spread_ns ? time_of(i) : timespec{};
          write_file(root, layout.lookup(hash_bytes(data, HashAlgorithm::sha256)), data,
                     spread_ns ? &when : nullptr);
        }
        std::uint64_t d = done.fetch_add(end - begin) + (end - begin);
        if (id == 0 && progress) progress(d);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      next = first + count;  // stop the others
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress(done.load());
}

}  // namespace cas::bench
