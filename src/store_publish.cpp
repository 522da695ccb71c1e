// Store: publishing content — insert (move), copy and put (hash while copying).
//
// Content reaches its name in one rename, so a reader never sees a partial file: new bytes go
// to a temp file in root/.cas-tmp (same filesystem as every layout directory), are fsynced
// when the durability asks for it, then renamed over the preferred path.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <random>
#include <stdexcept>
#include <vector>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "posix_error.hpp"
#include "unique_fd.hpp"

namespace cas {
namespace {

constexpr std::size_t kCopyChunk = 256 * 1024;

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Temp names must be unique across threads and processes sharing the root: pid, a process-wide
// counter and a random salt (the pid may be reused by a later process after a crash).
std::string temp_name() {
  static std::atomic<unsigned long> counter{0};
  static const unsigned long salt = std::random_device{}();
  return "tmp-" + std::to_string(::getpid()) + "-" + std::to_string(salt % 1000000) + "-" +
         std::to_string(counter.fetch_add(1));
}

// Removes the temp file unless released: every failure path leaves nothing behind.
class TempGuard {
 public:
  TempGuard(FileSystem& fs, std::string path, int fd) : fs_(fs), path_(std::move(path)), fd_(fd) {}
  ~TempGuard() {
    if (fd_ >= 0) fs_.close(fd_);
    if (!path_.empty()) fs_.unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the descriptor, reporting the close error (NFS reports write-back errors here).
  int close() { return fs_.close(std::exchange(fd_, -1)); }
  void set_path(std::string path) { path_ = std::move(path); }
  // Hands the temp file (and descriptor, if still open) over to the caller.
  void release() {
    path_.clear();
    fd_ = -1;
  }

 private:
  FileSystem& fs_;
  std::string path_;
  int fd_;
};

void write_all(FileSystem& fs, int fd, const char* data, std::size_t size,
               const std::string& path) {
  while (size > 0) {
    std::size_t done = 0;
    int err = fs.write(fd, data, size, &done);
    if (err == EINTR) continue;
    if (err != 0) throw_errno(err, "write", path);
    // write(2) returning 0 for a non-empty buffer means no progress is possible.
    if (done == 0) throw_errno(EIO, "write", path);
    data += done;
    size -= done;
  }
}

// Reads up to `size` bytes; 0 means end of file.
std::size_t read_some(FileSystem& fs, int fd, char* buf, std::size_t size,
                      const std::string& path) {
  while (true) {
    std::size_t done = 0;
    int err = fs.read(fd, buf, size, &done);
    if (err == EINTR) continue;
    if (err != 0) throw_errno(err, "read", path);
    return done;
  }
}

// fsyncs a directory so a rename in it survives a power loss. Some network filesystems refuse
// fsync on a directory (EINVAL/ENOTSUP); the rename is then as durable as that filesystem
// makes it, which is all anyone can do (restic tolerates the same).
// A directory that is gone was pruned by a concurrent remove, with the file: nothing to sync.
void sync_directory(FileSystem& fs, const std::string& dir) {
  int dfd = -1;
  int err = fs.open(dir.c_str(), O_RDONLY | O_DIRECTORY, 0, &dfd);
  if (err == ENOENT) return;
  if (err != 0) throw_errno(err, "open", dir);
  err = fs.fsync(dfd);
  fs.close(dfd);
  if (err != 0 && err != EINVAL && err != ENOTSUP) throw_errno(err, "fsync", dir);
}

}  // namespace

std::size_t Store::reap_temp(std::chrono::seconds older_than) {
  if (older_than.count() < 0) throw std::invalid_argument("reap_temp: negative age");
  if (read_only()) throw ReadOnlyError("reap", root_str_);
  const std::string dir = abs(std::string(kTempDirName));
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dfd.get() < 0) {
    if (errno == ENOENT) return 0;
    throw_last_error("open", dir);
  }
  // readdir needs a DIR of its own; dfd stays open for the fstatat/unlinkat below.
  UniqueFd dir_fd(::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0));
  if (dir_fd.get() < 0) throw_last_error("dup", dir);
  DIR* d = ::fdopendir(dir_fd.get());
  if (d == nullptr) throw_last_error("open", dir);
  dir_fd.release();  // owned by d now
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) throw_errno(err, "read", dir);

  const std::time_t cutoff = std::time(nullptr) - older_than.count();
  std::size_t reaped = 0;
  for (const auto& name : names) {
    // Re-stat just before deciding (Bazel's disk-cache collector does the same): a writer that
    // is still active keeps its file's mtime fresh.
    struct stat st;
    if (::fstatat(dfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_mtime >= cutoff) continue;
    if (::unlinkat(dfd.get(), name.c_str(), 0) == 0) {
      ++reaped;
    } else if (errno != ENOENT) {
      throw_last_error("unlink", dir + "/" + name);
    }
  }
  return reaped;
}

std::string Store::make_temp(int* fd) {
  const std::string dir = abs(std::string(kTempDirName));
  if (options_.reap_temp_older_than.count() > 0 && !temp_reaped_.exchange(true)) {
    // Best effort: a failure to clean up after someone else's crash must not fail this write.
    try {
      reap_temp(options_.reap_temp_older_than);
    } catch (const Error&) {
    }
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    int err = 0;
    if (tmpfile_support_.load(std::memory_order_relaxed) != 2) {
      // An anonymous temp file: if the writer dies before it is linked, the kernel frees it,
      // so a crash can never leave a partial file behind, not even in the temp area.
      err = fs_->open(dir.c_str(), O_TMPFILE | O_WRONLY, 0666, fd);
      if (err == 0) {
        if (tmpfile_support_.load(std::memory_order_relaxed) == 1) return {};
        std::string probe = probe_tmpfile(dir, *fd);
        if (!probe.empty()) return probe;
        // The probe closed the file and turned anonymous temps off: use a named one.
      } else if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) {
        tmpfile_support_.store(2);  // this filesystem or kernel has no O_TMPFILE
      } else if (err != ENOENT) {
        throw_errno(err, "create", dir);  // EACCES, ENOSPC, EMFILE...: a named one fails too
      }
    }
    if (err != ENOENT) {
      std::string path = dir + "/" + temp_name();
      err = fs_->open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0666, fd);
      if (err == 0) return path;
      if (err == EEXIST) continue;  // a leftover of a process with our pid and salt: next name
      if (err != ENOENT) throw_errno(err, "create", path);
    }
    // First write into this root: create it and its temp area.
    create_parents(std::string(kTempDirName) + "/x");
  }
  throw_errno(ENOENT, "create", dir);
}

std::string Store::probe_tmpfile(const std::string& dir, int fd) {
  // The kernel lets an anonymous file be linked only once, so the probe's file keeps the name
  // it is linked to and is published as a named temp.
  std::string probe = dir + "/" + temp_name();
  int err = fs_->link_fd(fd, probe.c_str());
  if (err == ENOSPC || err == EDQUOT || err == EMFILE || err == ENFILE || err == ENOMEM ||
      err == EIO) {
    fs_->close(fd);
    throw_errno(err, "link", probe);  // a failure of the moment, not a missing feature
  }
  if (err != 0) {  // no /proc, or this filesystem cannot name an anonymous file
    fs_->close(fd);
    tmpfile_support_.store(2);
    return {};
  }
  // Kernels before 6.0 skipped the umask for O_TMPFILE on filesystems without POSIX ACLs, so
  // published files would be world-writable: compare with a named file's mode. Where they
  // differ, this file takes the named mode and every later temp is a named one.
  std::string reference = dir + "/" + temp_name();
  int ref_fd = -1;
  struct stat anon {};
  struct stat named {};
  bool same = false;
  if (fs_->open(reference.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0666, &ref_fd) == 0) {
    if (fs_->fstat(ref_fd, &named) == 0 && fs_->fstat(fd, &anon) == 0) {
      same = (anon.st_mode & 07777) == (named.st_mode & 07777);
      if (!same) ::fchmod(fd, named.st_mode & 07777);
    }
    fs_->close(ref_fd);
    fs_->unlink(reference.c_str());
  }
  tmpfile_support_.store(same ? 1 : 2);
  return probe;
}

std::string Store::temp_display(const std::string& temp) const {
  // An anonymous (O_TMPFILE) temp has no name yet: errors name the directory it lives in.
  return temp.empty() ? abs(std::string(kTempDirName)) + "/(anonymous temp file)" : temp;
}

int Store::link_temp(int fd, const std::string& rel) {
  const std::string to = abs(rel);
  for (int attempt = 0; attempt < 16; ++attempt) {
    int err = fs_->link_fd(fd, to.c_str());
    if (err != ENOENT) return err;
    create_parents(rel);  // the target directory is missing or was just pruned
  }
  return ENOENT;
}

void Store::take_back(const std::string& rel, const struct stat& ours) {
  // Moved aside first, so that the file checked is the file removed: a concurrent writer may
  // rename its own (good) copy over the name at any instant.
  const std::string path = abs(rel);
  const std::string aside = abs(std::string(kTempDirName)) + "/" + temp_name();
  int err = fs_->rename(path.c_str(), aside.c_str());
  if (err == ENOENT && exists(path)) {  // the temp area was removed meanwhile
    create_parents(std::string(kTempDirName) + "/x");
    err = fs_->rename(path.c_str(), aside.c_str());
  }
  if (err != 0) return;  // gone already, or cannot be moved: nothing more to do safely
  struct stat st;
  if (fs_->lstat(aside.c_str(), &st) != 0 || st.st_dev != ours.st_dev || st.st_ino != ours.st_ino) {
    // Another writer's copy: back under its name, unless a third has published there since
    // (link does not replace).
    fs_->link(aside.c_str(), path.c_str());
  }
  fs_->unlink(aside.c_str());
}

void Store::publish_fd(int fd, const std::string& named_temp, std::string_view hash,
                       const struct stat* keep, Durability durability) {
  std::string temp = named_temp;
  const std::string display = temp_display(temp);
  TempGuard guard(*fs_, temp, fd);
  if (durability == Durability::file || durability == Durability::full) {
    int err = fs_->fsync(fd);
    if (err != 0) throw_errno(err, "fsync", display);
  }
  const std::string rel = options_.layouts.front()->lookup(hash);
  struct stat linked {};  // set when the anonymous temp was linked straight to its name
  if (temp.empty()) {
    // Anonymous: link it straight to its name. It is complete from its first instant there.
    int err = link_temp(fd, rel);
    if (err == 0 && fs_->fstat(fd, &linked) != 0) linked.st_nlink = 0;
    if (err == EEXIST) {
      // Content is already there: replace it atomically through a named temp and a rename.
      temp = abs(std::string(kTempDirName)) + "/" + temp_name();
      err = fs_->link_fd(fd, temp.c_str());
      if (err == ENOENT) {  // the temp area was removed while this file was written
        create_parents(std::string(kTempDirName) + "/x");
        err = fs_->link_fd(fd, temp.c_str());
      }
      if (err != 0) throw_errno(err, "link", temp);
      guard.set_path(temp);
    } else if (err != 0) {
      throw_errno(err, "link", abs(rel));
    }
  }
  if (int err = guard.close(); err != 0) {
    // A late write-back error (NFS reports them at close): the content we just linked may not
    // be what was written, so take our name back unless someone replaced it meanwhile.
    if (linked.st_nlink != 0) {
      take_back(rel, linked);
      throw_errno(err, "close", abs(rel));
    }
    throw_errno(err, "close", display);
  }
  if (!temp.empty()) {
    int err = rename_into(temp, rel);
    // ENOENT: the temp itself is gone (removed by hand, or by a reap_temp with a short age).
    if (err == ENOENT) throw_errno(err, "rename", temp);
    if (err != 0) throw_errno(err, "rename", abs(rel));
  }
  guard.release();
  if (durability == Durability::full) sync_directory(*fs_, parent_of(abs(rel)));
  remove_other_copies(hash, keep);
}

void Store::verify_source(std::string_view hash, const std::string& path, int fd) {
  if (!options_.verify_on_insert) return;
  auto algorithm = algorithm_for_length(hash.size());
  if (!algorithm) return;
  std::string actual;
  if (fd >= 0) {
    actual = hash_fd(fd, *algorithm, path);
    if (::lseek(fd, 0, SEEK_SET) != 0) throw_last_error("seek", path);
  } else {
    actual = hash_file(path, *algorithm);
  }
  if (actual != hash) throw CorruptError(path, std::string(hash), actual);
}

void Store::flush() {
  int fd = -1;
  int err = fs_->open(root_str_.c_str(), O_RDONLY | O_DIRECTORY, 0, &fd);
  if (err == ENOENT) return;
  if (err != 0) throw_errno(err, "open", root_str_);
  int r = ::syncfs(fd);
  err = r == 0 ? 0 : errno;
  fs_->close(fd);
  if (err != 0) throw_errno(err, "syncfs", root_str_);
}

boost::filesystem::path Store::insert(std::string_view hash, const boost::filesystem::path& src) {
  auto layouts = layouts_for(hash);
  check_writable("create", hash);
  const std::string from = src.string();
  struct stat st;
  int err = fs_->lstat(from.c_str(), &st);
  if (err == ENOENT || err == ENOTDIR) throw InsertionError(from, "no such file");
  if (err != 0) throw_errno(err, "stat", from);
  if (!S_ISREG(st.st_mode)) throw InsertionError(from, "not a regular file");

  verify_source(hash, from, -1);
  if (options_.durability == Durability::file || options_.durability == Durability::full) {
    // The caller wrote src; its bytes must be on disk before its new name is.
    int fd = -1;
    err = fs_->open(from.c_str(), O_RDONLY | O_NOCTTY, 0, &fd);
    if (err == ENOENT) throw InsertionError(from, "no such file");
    if (err != 0) throw_errno(err, "open", from);
    err = fs_->fsync(fd);
    fs_->close(fd);
    if (err != 0 && err != EINVAL) throw_errno(err, "fsync", from);
  }

  const std::string rel = layouts.front()->lookup(hash);
  err = rename_into(from, rel);
  if (err == ENOENT) throw InsertionError(from, "no such file");
  if (err == EXDEV) {
    // Another filesystem: copy into the store, publish, then let go of the source.
    copy_in(hash, from, /*moving=*/true);
    err = fs_->unlink(from.c_str());
    if (err != 0 && err != ENOENT) throw_errno(err, "unlink", from);
    return abs(rel);
  }
  if (err != 0) {
    // Name the side that refused: the source's directory or the target's.
    std::string to = abs(rel);
    bool source_side = ::access(parent_of(from).c_str(), W_OK | X_OK) != 0;
    throw_errno(err, "rename", source_side ? from : to);
  }
  if (options_.durability == Durability::full) sync_directory(*fs_, parent_of(abs(rel)));
  remove_other_copies(hash, nullptr);
  return abs(rel);
}

boost::filesystem::path Store::copy(std::string_view hash, const boost::filesystem::path& src) {
  auto layouts = layouts_for(hash);
  check_writable("create", hash);
  copy_in(hash, src.string(), /*moving=*/false);
  return abs(layouts.front()->lookup(hash));
}

void Store::copy_in(std::string_view hash, const std::string& from, bool moving) {
  int in = -1;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  int err = fs_->open(from.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &in);
  if (err == ENOENT || err == ENOTDIR) throw InsertionError(from, "no such file");
  if (err != 0) throw_errno(err, "open", from);
  TempGuard in_guard(*fs_, std::string(), in);
  struct stat st;
  if ((err = fs_->fstat(in, &st)) != 0) throw_errno(err, "stat", from);
  if (!S_ISREG(st.st_mode)) throw InsertionError(from, "not a regular file");
  ::fcntl(in, F_SETFL, ::fcntl(in, F_GETFL) & ~O_NONBLOCK);  // a regular file: block as usual
  if (!moving) verify_source(hash, from, in);                // insert has checked it already

  int out = -1;
  std::string temp = make_temp(&out);
  {
    TempGuard out_guard(*fs_, temp, out);
    std::vector<char> buf(kCopyChunk);
    while (std::size_t got = read_some(*fs_, in, buf.data(), buf.size(), from)) {
      write_all(*fs_, out, buf.data(), got, temp_display(temp));
    }
    // A move keeps the file's mode, as mv does across filesystems.
    if (moving && ::fchmod(out, st.st_mode & 0777) != 0) {
      throw_last_error("chmod", temp_display(temp));
    }
    out_guard.release();
  }
  // Moving, the source is unlinked next, on a filesystem whose journal does not order that
  // after this one's writes: the copy must be durable first, whatever the durability (bar none).
  Durability durability = options_.durability;
  if (moving && durability != Durability::none) durability = Durability::full;
  // publish_fd owns `out` and the temp from here; `st` keeps src alive if it is an old copy.
  publish_fd(out, temp, hash, &st, durability);
}

std::string Store::put(const boost::filesystem::path& src, HashAlgorithm algorithm) {
  const std::string from = src.string();
  if (read_only()) throw ReadOnlyError("create", from);
  int in = -1;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  int err = fs_->open(from.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &in);
  if (err == ENOENT || err == ENOTDIR) throw InsertionError(from, "no such file");
  if (err != 0) throw_errno(err, "open", from);
  TempGuard in_guard(*fs_, std::string(), in);
  struct stat st;
  if ((err = fs_->fstat(in, &st)) != 0) throw_errno(err, "stat", from);
  if (!S_ISREG(st.st_mode)) throw InsertionError(from, "not a regular file");
  ::fcntl(in, F_SETFL, ::fcntl(in, F_GETFL) & ~O_NONBLOCK);  // a regular file: block as usual

  int out = -1;
  std::string temp = make_temp(&out);
  Hasher hasher(algorithm);
  {
    TempGuard out_guard(*fs_, temp, out);
    std::vector<char> buf(kCopyChunk);
    while (std::size_t got = read_some(*fs_, in, buf.data(), buf.size(), from)) {
      hasher.update(buf.data(), got);
      write_all(*fs_, out, buf.data(), got, temp_display(temp));
    }
    out_guard.release();
  }
  std::string hash = hasher.finish();
  // `st` keeps src alive if it is an old-layout copy of the content: put never touches src.
  publish_fd(out, temp, hash, &st, options_.durability);
  return hash;
}

}  // namespace cas
