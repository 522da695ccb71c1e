// Internal: hashes a file on a thread of its own while the transfer writes it, so that hashing a
// large download overlaps receiving it. sha256 runs at about 1.1 GB/s on the machines of the
// design notes, as fast as loopback delivers: on the transfer's thread it would halve a large
// fetch's throughput. The follower reads back what was written (from the page cache: a copy, no
// disk I/O) up to where the writer says the file is final.
//
// Thread-safety: one writer calls advance() and finish(); the follower's thread is internal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "cas/hash.hpp"

namespace cas::detail {

class HashFollower {
 public:
  // Hashes the bytes of `fd` from offset `from` on, `hasher` holding the digest of those before
  // it. Throws std::system_error when the thread cannot be started.
  HashFollower(int fd, Hasher hasher, std::uint64_t from);
  // Stops the thread; what it hashed is dropped.
  ~HashFollower();
  HashFollower(const HashFollower&) = delete;
  HashFollower& operator=(const HashFollower&) = delete;

  // The first `written` bytes of the file are final (never less than before).
  void advance(std::uint64_t written);

  // Waits until every byte up to the last advance() is hashed and returns the hasher (call
  // finish() on it). Call once. Throws IoError when the file could not be read back.
  Hasher finish();

 private:
  void run();

  int fd_;
  Hasher hasher_;  // the follower's thread's until it stops
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t hashed_;  // the file's first hashed_ bytes are in hasher_
  std::uint64_t target_;  // ... and it may hash up to here
  bool stop_ = false;
  int error_ = 0;  // errno of a failed read
  std::thread thread_;
};

}  // namespace cas::detail
