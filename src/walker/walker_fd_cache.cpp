#include "walker/walker_fd_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace cas::detail {

FdCache::Evicted::~Evicted() {
  for (int i = 0; i < count; ++i) ::close(fds[i]);
}

void FdCache::insert_pinned(DirNode* node, int fd) {
  Evicted evicted;  // closed after the lock is released: declared first, destroyed last
  std::lock_guard lock(mu_);
  node->fd = fd;
  node->pins = 1;
  ++open_;
  evict_locked(evicted);
}

int FdCache::acquire(DirNode* node) {
  {
    std::lock_guard lock(mu_);
    if (node->fd >= 0) {
      if (node->pins++ == 0) lru_unlink(node);
      return node->fd;
    }
  }
  // Evicted. The root is pinned for the whole walk, so a parent always exists here; the
  // recursion is as deep as the run of evicted ancestors, which LRU order keeps short.
  int parent_fd = acquire(node->parent);
  if (parent_fd < 0) return -1;
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (node->via_symlink ? 0 : O_NOFOLLOW);
  int fd = ::openat(parent_fd, node->c_name(), flags);
  int err = errno;
  release(node->parent);
  if (fd < 0) {
    errno = err == ENOTDIR || err == ELOOP ? ENOENT : err;
    return -1;
  }
  if (node->identity_known) {
    // Renamed away and replaced since the first open: the directory we walked is gone from
    // here, so treat it as vanished rather than act on a stranger.
    struct stat st;
    if (::fstat(fd, &st) != 0 || st.st_ino != node->ino || st.st_dev != node->dev) {
      ::close(fd);
      errno = ENOENT;
      return -1;
    }
  }
  Evicted evicted;
  std::lock_guard lock(mu_);
  if (node->fd >= 0) {  // another worker reopened it meanwhile
    evicted.fds[evicted.count++] = fd;
    if (node->pins++ == 0) lru_unlink(node);
    return node->fd;
  }
  node->fd = fd;
  node->pins = 1;
  ++open_;
  evict_locked(evicted);
  return fd;
}

void FdCache::release(DirNode* node) {
  Evicted evicted;
  std::lock_guard lock(mu_);
  if (--node->pins == 0) {
    lru_push(node);
    evict_locked(evicted);
  }
}

void FdCache::remove(DirNode* node) {
  Evicted evicted;
  std::lock_guard lock(mu_);
  if (node->fd < 0) return;
  if (node->pins == 0) lru_unlink(node);
  evicted.fds[evicted.count++] = node->fd;
  node->fd = -1;
  node->pins = 0;
  --open_;
}

unsigned FdCache::open_count() {
  std::lock_guard lock(mu_);
  return open_;
}

void FdCache::lru_push(DirNode* node) {
  node->lru_next = nullptr;
  node->lru_prev = lru_tail_;
  if (lru_tail_) {
    lru_tail_->lru_next = node;
  } else {
    lru_head_ = node;
  }
  lru_tail_ = node;
}

void FdCache::lru_unlink(DirNode* node) {
  (node->lru_prev ? node->lru_prev->lru_next : lru_head_) = node->lru_next;
  (node->lru_next ? node->lru_next->lru_prev : lru_tail_) = node->lru_prev;
  node->lru_prev = node->lru_next = nullptr;
}

void FdCache::evict_locked(Evicted& out) {
  // Only unpinned descriptors are in the list; pinned ones (directories being read, parents
  // being opened from) may push open_ past the cap until released. Each call adds one
  // descriptor at most, so evicting a few per call keeps open_ at the cap.
  while (open_ > cap_ && lru_head_ && out.count < kMaxEvict) {
    DirNode* victim = lru_head_;
    lru_unlink(victim);
    out.fds[out.count++] = victim->fd;
    victim->fd = -1;
    --open_;
  }
}

}  // namespace cas::detail
