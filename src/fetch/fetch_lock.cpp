// detail::FetchLock (fetch_lock.hpp).
#include "fetch/fetch_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"

namespace cas::detail {
namespace {

// Wakes the waiting threads of this process when one of its threads releases a lock: without it
// they would notice only at their next poll. Another process's release is seen by polling.
std::mutex g_released_mutex;
std::condition_variable g_released;

// The byte locked for `hash`: its first 15 hex digits (60 bits, below off_t's limit), so two
// hashes share a byte only when they agree on 60 bits.
off_t byte_of(std::string_view hash) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 15 && i < hash.size(); ++i) {
    const char c = hash[i];
    v = (v << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return static_cast<off_t>(v);
}

bool try_lock(int fd, off_t at) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = at;
  fl.l_len = 1;
  if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return true;
  if (errno == EAGAIN || errno == EACCES || errno == EINTR) return false;
  throw_errno(errno, "lock", std::to_string(at));
}

}  // namespace

FetchLock::FetchLock(const boost::filesystem::path& root, const std::string& hash,
                     std::chrono::milliseconds timeout, const std::function<bool()>& cancelled,
                     bool* waited) {
  const std::string path = (root / kFileName).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0 && errno == ENOENT) {
    boost::system::error_code ec;  // a new store: its first write makes the root
    boost::filesystem::create_directories(root, ec);
    if (ec) throw_errno(ec.value(), "mkdir", root.string());
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
  }
  if (fd < 0) throw_errno(errno, "open", path);
  fd_.reset(fd);
  const off_t at = byte_of(hash);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  *waited = false;
  // A poll of 5 ms at first, growing to 25 ms: a waiter of another process notices a release
  // within that, small against a download that made others wait (a fcntl per poll is cheap).
  auto step = std::chrono::milliseconds(5);
  while (true) {
    try {
      if (try_lock(fd_.get(), at)) return;
    } catch (const IoError& e) {
      throw_errno(e.code(), "lock", path);
    }
    *waited = true;
    if (cancelled && cancelled()) throw Error("fetch " + hash + ": interrupted");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw_errno(ETIMEDOUT, "wait for another download of " + hash + " (lock", path + ")");
    }
    std::unique_lock lock(g_released_mutex);
    g_released.wait_for(lock, step);
    step = std::min(step * 2, std::chrono::milliseconds(25));
  }
}

FetchLock::~FetchLock() {
  fd_.reset();  // closing the open file description releases its OFD locks
  std::lock_guard lock(g_released_mutex);
  g_released.notify_all();
}

}  // namespace cas::detail
