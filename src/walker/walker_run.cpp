#include "walker/walker_run.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "walker/dirent_reader.hpp"

namespace cas::detail {
namespace {

// 32 KiB holds a few hundred entries per getdents64 call: large enough that big directories
// cost few syscalls, small enough that 64 workers' buffers stay at 2 MiB.
constexpr std::size_t kBufferSize = 32 * 1024;
// A directory with more subdirectories than this is read in slices: the slice's subdirectories
// are walked before the rest of the directory is read, so a directory of a million
// subdirectories never holds a million pending nodes. Each pending node costs ~150 bytes, so
// even with every one of 64 workers holding a full slice this stays near 10 MiB.
constexpr std::size_t kSliceDirs = 1024;

// STATX_ATTR_MOUNT_ROOT (Linux 5.8), spelled out for older headers.
constexpr std::uint64_t kStatxMountRoot = 0x2000;

}  // namespace

WalkRun::WalkRun(const WalkOptions& options, unsigned workers, unsigned max_open, int root_fd,
                 const struct stat& root_st, std::string root_display, const WalkVisitor& visit)
    : options_(options),
      visit_(visit),
      root_display_(std::move(root_display)),
      root_(new DirNode),
      root_fd_(root_fd),
      fds_(max_open),
      queues_(workers),
      worker_state_(workers) {
  root_->ino = root_st.st_ino;
  root_->dev = root_st.st_dev;
  root_->identity_known = true;
  root_->opened = true;
  // The root stays pinned until it completes: root_fd in every WalkEntry must stay valid.
  fds_.insert_pinned(root_, root_fd);
  root_->cached = true;
  directories_.store(1);
  queues_.push(0, &root_, 1);
}

WalkRun::~WalkRun() {
  fds_.remove(root_);
  delete root_;
}

void WalkRun::run_worker(unsigned w) {
  Worker& ws = worker_state_[w];
  if (!ws.buffer) ws.buffer = std::make_unique<char[]>(kBufferSize);
  while (DirNode* node = queues_.next(w)) process(w, node);
}

void WalkRun::finish() {
  // Workers stopped early leave items queued; each holds its node's own reference.
  for (DirNode* node : queues_.drain()) unref(0, node);
}

void WalkRun::request_stop() noexcept {
  stop_.store(true);
  queues_.end();
}

WalkStats WalkRun::stats() const {
  WalkStats s;
  s.directories = directories_.load();
  s.entries = entries_.load();
  s.errors = errors_.load();
  s.stopped = stop_.load();
  return s;
}

template <typename F>
auto WalkRun::call_user(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    {
      std::lock_guard lock(exception_mu_);
      if (!exception_) exception_ = std::current_exception();
    }
    request_stop();
    return decltype(f())();
  }
}

void WalkRun::process(unsigned w, DirNode* node) {
  if (stopping() || (!node->opened && !open_node(node))) {
    unref(w, node);
    return;
  }
  bool done = read_slice(w, node);
  std::vector<DirNode*>& subdirs = worker_state_[w].subdirs;
  if (!node->cached) {
    // Opened by open_node and not in the cache yet: nobody else can see the descriptor.
    if (done && subdirs.empty()) {
      // A leaf (most directories of a store): it never needs the cache.
      ::close(std::exchange(node->unshared_fd, -1));
      if (!options_.on_directory_exit) {
        unref(w, node);
        return;
      }
    } else {
      // Its subdirectories open themselves from it, or its next slice needs it.
      fds_.insert_pinned(node, std::exchange(node->unshared_fd, -1));
      node->cached = true;
    }
  }
  if (options_.inode_order) {
    // Popped from the back: the smallest inode is read first.
    std::sort(subdirs.begin(), subdirs.end(),
              [](const DirNode* a, const DirNode* b) { return a->ino > b->ino; });
  }
  if (!done) {
    // Below its subdirectories, so they are walked before the directory's next slice is read.
    subdirs.insert(subdirs.begin(), node);
  } else if (node != root_ && node->refs.load(std::memory_order_relaxed) > 1) {
    // Subdirectories will open themselves from this descriptor: make it evictable rather than
    // pinned. Without children (refs == 1: only this worker adds them) unref() closes it next.
    fds_.release(node);
  }
  queues_.push(w, subdirs.data(), subdirs.size());
  if (subdirs.size() > 0 && start_workers_) {
    const WorkQueues::NewWorkers more = queues_.claim_workers();
    if (more.count > 0) start_workers_(more.first, more.count);
  }
  subdirs.clear();
  if (done) unref(w, node);
}

bool WalkRun::open_node(DirNode* node) {
  int parent_fd = fds_.acquire(node->parent);
  if (parent_fd < 0) {
    // The parent was evicted and has vanished since: so has this directory.
    if (errno != ENOENT) report(node->parent->rel_path, "open", errno);
    return false;
  }
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (node->via_symlink ? 0 : O_NOFOLLOW);
  int fd = ::openat(parent_fd, node->c_name(), flags);
  int err = errno;
  fds_.release(node->parent);
  if (fd < 0) {
    // Removed, or replaced by a file or a symlink, since the parent was read: it vanished.
    bool vanished = err == ENOENT || err == ENOTDIR || (err == ELOOP && !node->via_symlink);
    if (!vanished) report(node->rel_path, "open", err);
    return false;
  }
  if (options_.xdev || options_.follow_symlinks) {
    // statx, not fstat: a bind mount of the same filesystem has the root's st_dev, and only
    // STATX_ATTR_MOUNT_ROOT tells that this directory is where a mount starts.
    struct statx sx;
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, &sx) != 0) {
      report(node->rel_path, "stat", errno);
      ::close(fd);
      return false;
    }
    node->ino = sx.stx_ino;
    node->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    node->identity_known = true;
    const bool mount_root = (sx.stx_attributes_mask & kStatxMountRoot) != 0 &&
                            (sx.stx_attributes & kStatxMountRoot) != 0;
    if (options_.xdev && (node->dev != root_->dev || mount_root)) {
      ::close(fd);
      return false;
    }
    if (options_.follow_symlinks && is_loop(node)) {
      report(node->rel_path, "follow", ELOOP);
      ::close(fd);
      return false;
    }
  }
  // Not in the cache until it turns out to have subdirectories (see process): a leaf's
  // descriptor is closed by its reader, with no lock taken.
  node->unshared_fd = fd;
  node->opened = true;
  directories_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool WalkRun::is_loop(const DirNode* node) const {
  for (const DirNode* p = node->parent; p; p = p->parent) {
    if (p->identity_known && p->ino == node->ino && p->dev == node->dev) return true;
  }
  return false;
}

bool WalkRun::read_slice(unsigned w, DirNode* node) {
  Worker& ws = worker_state_[w];
  // Pinned by this worker (or not shared yet), so no other thread changes it.
  const int fd = node->cached ? node->fd : node->unshared_fd;
  ws.path.assign(node->rel_path);
  if (node != root_) ws.path.push_back('/');
  const std::size_t prefix_len = ws.path.size();
  DirentReader reader(ws.buffer.get(), kBufferSize);
  for (;;) {
    if (stopping()) return true;
    if (int err = reader.fill(fd); err != 0) {
      // ENOENT: the directory was removed while being read (getdents on a deleted directory).
      if (err != ENOENT) report(node->rel_path, "getdents64", err);
      return true;
    }
    RawDirent d;
    while (reader.next(&d)) {
      if (is_dot_or_dotdot(d.name)) continue;
      if (!on_entry(w, node, fd, prefix_len, d.name, d.type, d.ino)) return true;
    }
    if (reader.at_end()) return true;
    if (ws.subdirs.size() >= kSliceDirs) return false;
  }
}

bool WalkRun::on_entry(unsigned w, DirNode* node, int dir_fd, std::size_t prefix_len,
                       const char* name, unsigned char type, ino_t ino) {
  if (stopping()) return false;
  Worker& ws = worker_state_[w];
  ws.path.resize(prefix_len);
  ws.path.append(name);
  const std::string_view rel = ws.path;
  const bool follow = options_.follow_symlinks;
  if (options_.filter) {
    const WalkEntry seen{root_fd_, dir_fd, rel.substr(prefix_len), rel, type, ino, node->depth + 1,
                         nullptr,  w};
    if (!call_user([&] { return options_.filter(seen); })) return !stopping();
  }

  struct stat st;
  const struct stat* stp = nullptr;
  if (type == DT_UNKNOWN || options_.stat_entries || (follow && type == DT_LNK)) {
    if (::fstatat(dir_fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      // Following, ENOENT is either a dangling symlink (reported as the link itself, as
      // find -L does) or an entry that vanished.
      if (err != ENOENT) {
        report(rel, "stat", err);
        return !stopping();
      }
      if (!follow || ::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return true;
    } else if (follow) {
      ino = st.st_ino;
    }
    stp = &st;
    type = IFTODT(st.st_mode);
  }

  const int depth = node->depth + 1;
  const WalkEntry entry{root_fd_, dir_fd, rel.substr(prefix_len), rel, type, ino, depth, stp, w};
  if (type != DT_DIR) {
    entries_.fetch_add(1, std::memory_order_relaxed);
    if (call_user([&] { return visit_(entry); }) == WalkAction::stop) request_stop();
    return !stopping();
  }

  bool descend = options_.max_depth < 0 || depth < options_.max_depth;
  if (options_.report_directories) {
    entries_.fetch_add(1, std::memory_order_relaxed);
    WalkAction action = call_user([&] { return visit_(entry); });
    if (action == WalkAction::stop) request_stop();
    if (action == WalkAction::skip) descend = false;
  }
  if (descend && options_.prune && call_user([&] { return options_.prune(entry); })) {
    descend = false;
  }
  if (stopping()) return false;
  if (descend) {
    auto* child = new DirNode;
    child->parent = node;
    child->rel_path.assign(rel);
    child->name_pos = static_cast<std::uint32_t>(prefix_len);
    child->depth = depth;
    child->ino = ino;
    child->via_symlink = follow;
    node->refs.fetch_add(1, std::memory_order_relaxed);
    ws.subdirs.push_back(child);
  }
  return true;
}

void WalkRun::unref(unsigned w, DirNode* node) {
  while (node) {
    // acq_rel: the last one to drop a reference sees every visit made under the others.
    if (node->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    DirNode* parent = node->parent;
    if (!parent) {  // the root completed: nothing is left anywhere
      queues_.end();
      return;
    }
    if (node->cached) fds_.remove(node);  // a leaf's descriptor is closed already
    if (options_.on_directory_exit && !stopping()) {
      int parent_fd = fds_.acquire(parent);
      // A parent that cannot be reopened has vanished with everything below it.
      if (parent_fd >= 0) {
        const WalkEntry entry{root_fd_,       parent_fd, node->name(),
                              node->rel_path, DT_DIR,    node->ino,
                              node->depth,    nullptr,   w};
        call_user([&] { options_.on_directory_exit(entry); });
        fds_.release(parent);
      }
    }
    delete node;
    node = parent;
  }
}

void WalkRun::report(std::string_view rel_path, const char* operation, int code) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.on_error) return;
  WalkError error;
  error.path = root_display_;
  if (!rel_path.empty()) {
    // As find joins: "dir" + "/" + rel, but "dir/" + rel (and "/" + rel).
    if (error.path.empty() || error.path.back() != '/') error.path.push_back('/');
    error.path.append(rel_path);
  }
  error.operation = operation;
  error.code = code;
  if (call_user([&] { return options_.on_error(error); }) == ErrorAction::stop) request_stop();
}

}  // namespace cas::detail
