// detail::HashFollower (hash_follower.hpp).
#include "fetch/hash_follower.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "cas/errors.hpp"

namespace cas::detail {
namespace {

constexpr std::size_t kChunk = 1 << 20;  // read back and hashed at a time

}  // namespace

HashFollower::HashFollower(int fd, Hasher hasher, std::uint64_t from)
    : fd_(fd), hasher_(std::move(hasher)), hashed_(from), target_(from) {
  thread_ = std::thread([this] { run(); });
}

HashFollower::~HashFollower() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void HashFollower::advance(std::uint64_t written) {
  {
    std::lock_guard lock(mutex_);
    target_ = written;
  }
  changed_.notify_all();
}

void HashFollower::run() {
  std::vector<char> buffer(kChunk);
  while (true) {
    std::uint64_t from = 0, to = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || hashed_ < target_; });
      if (stop_) return;
      from = hashed_;
      to = std::min<std::uint64_t>(target_, from + kChunk);
    }
    ssize_t n = ::pread(fd_, buffer.data(), to - from, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) hasher_.update(buffer.data(), static_cast<std::size_t>(n));  // the writer goes on
    std::lock_guard lock(mutex_);
    if (n <= 0) {  // (0: the file is shorter than the writer said: it was truncated under us)
      error_ = n < 0 ? errno : EIO;
      stop_ = true;
      changed_.notify_all();
      return;
    }
    hashed_ += static_cast<std::uint64_t>(n);
    if (hashed_ == target_) changed_.notify_all();  // finish() may be waiting for this
  }
}

Hasher HashFollower::finish() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return hashed_ == target_ || error_ != 0; });
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (error_ != 0) throw_errno(error_, "read back", "a temp file of the store");
  return std::move(hasher_);
}

}  // namespace cas::detail
