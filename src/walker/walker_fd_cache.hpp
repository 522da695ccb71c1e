// Internal to the walker: the directories a walk holds, and a bounded cache of their descriptors.
//
// A DirNode exists for each directory that is queued, being read, or still has live
// subdirectory nodes (which need its descriptor to be opened, and for on_directory_exit). Its
// descriptor is kept in the FdCache, which closes the least recently used unpinned descriptor
// once more than `cap` are open and reopens it through the node's ancestors when needed again,
// so a tree of any depth runs with a bounded number of descriptors.
//
// Thread-safety: FdCache is thread-safe. A DirNode's reading state is owned by the worker that
// holds the node; its `refs` are atomic; its descriptor fields are guarded by the cache's mutex.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace cas::detail {

struct DirNode {
  DirNode* parent = nullptr;  // null for the root
  std::string rel_path;       // "" for the root; the name is its suffix from name_pos
  std::uint32_t name_pos = 0;
  int depth = 0;  // 0 for the root
  ino_t ino = 0;  // d_ino until opened, then fstat's when identity_known
  dev_t dev = 0;  // valid when identity_known
  bool identity_known = false;
  bool via_symlink = false;  // reached through a followed symlink: reopen without O_NOFOLLOW
  bool opened = false;       // the worker holding it has opened it (a continuation)
  // Its descriptor between open and the end of its first read, before it enters the cache
  // (leaves never do). Owned by the worker reading it.
  int unshared_fd = -1;
  bool cached = false;  // its descriptor went into the FdCache (set before the node is shared)
  // 1 for the node's own reading (held by its queue item or the worker reading it) plus 1 per
  // live child node. The node completes (on_directory_exit) when it drops to 0.
  std::atomic<std::uint32_t> refs{1};

  // Guarded by FdCache's mutex.
  int fd = -1;
  unsigned pins = 0;
  DirNode* lru_prev = nullptr;
  DirNode* lru_next = nullptr;

  std::string_view name() const { return std::string_view(rel_path).substr(name_pos); }
  // The name as a C string: a suffix of rel_path, so NUL-terminated without a copy.
  const char* c_name() const { return rel_path.c_str() + name_pos; }
};

class FdCache {
 public:
  explicit FdCache(unsigned cap) : cap_(cap < 2 ? 2 : cap) {}
  FdCache(const FdCache&) = delete;
  FdCache& operator=(const FdCache&) = delete;

  // Records `fd`, freshly opened for `node`, pinned once. May close unpinned descriptors.
  void insert_pinned(DirNode* node, int fd);
  // Returns node's descriptor pinned (release() it when done), reopening it relative to its
  // parent's if it was evicted. Returns -1 with errno set when it cannot be reopened (ENOENT
  // when the directory vanished or was replaced by another).
  int acquire(DirNode* node);
  // Unpins node's descriptor; unpinned descriptors may be closed to stay under the cap.
  void release(DirNode* node);
  // Closes node's descriptor, pinned or not (the node is done).
  void remove(DirNode* node);
  // Descriptors currently open (for tests and statistics).
  unsigned open_count();

 private:
  // Up to this many descriptors are closed per call, after the mutex is released (close is a
  // syscall; holding the one cache lock across it would serialize every worker).
  static constexpr int kMaxEvict = 4;
  struct Evicted {
    int fds[kMaxEvict];
    int count = 0;
    ~Evicted();
  };

  void lru_push(DirNode* node);
  void lru_unlink(DirNode* node);
  void evict_locked(Evicted& out);

  std::mutex mu_;
  const unsigned cap_;
  unsigned open_ = 0;
  DirNode* lru_head_ = nullptr;  // least recently released
  DirNode* lru_tail_ = nullptr;
};

}  // namespace cas::detail
