// FileSystem: the narrow interface through which a Store performs its file operations.
//
// Modelled on leveldb's Env/EnvWrapper: the default implementation calls POSIX directly;
// FileSystemWrapper forwards every call to another FileSystem, so a test can subclass it and
// override one call to inject EIO, EINTR, ENOSPC or short writes without touching real disks.
//
// Where the seam ends. It carries every call a Store makes for its own per-hash work: lookup's
// stats, migrating rename and last-use touch, prune's rmdir, open, insert/copy/put (the source's
// open, fstat and reads; the temp file's creation, writes, fsync, link or rename into place; mkdir;
// the other layouts' unlinks), remove, and the directory opened by flush and by Durability::full.
// It also carries every call of a checkout (<cas/checkout.hpp>) that makes a file or directory in
// the destination or changes a stored file's mode: link, clone, copy_range, symlink, chmod, the
// temp file's open and link, rename, mkdir (its comparisons of an existing file read with
// read(2) directly).
// It does not carry, and why:
//  - the store-wide operations (<cas/operations.hpp>), Store::walk and Store::reap_temp: they
//    work relative to the directory descriptors the Walker holds (openat, linkat, unlinkat,
//    renameat2, fstatat) and the Walker reads directories with raw getdents64, calls a
//    path-based seam cannot express. Their faults are made real in the tests instead: a full
//    tmpfs, read-only and bind mounts, `runuser -u nobody`, a seccomp filter failing getdents64;
//  - hashing (hash_fd/hash_file read with read(2)) and the quarantine's renameat2, shared with
//    those operations;
//  - descriptor adjustments whose failure the covered calls already exercise or that cannot
//    fail on an open descriptor of the right kind: fcntl (clearing O_NONBLOCK), lseek (rewind
//    after hashing), fchmod (a temp file's mode), access (naming the side that refused a
//    rename); and syncfs in Store::flush (its error is reported, but cannot be injected).
//
// Every call returns 0 (or a byte count) on success and a positive errno value on failure,
// exactly like the system call it wraps, but without touching the global errno; it never
// throws. Paths are absolute or relative to the process's working directory.
//
// Thread-safety: implementations must be safe to call from many threads at once.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <utility>

namespace cas {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide POSIX implementation.
  static std::shared_ptr<FileSystem> posix();

  // open(2). On success stores the descriptor in *fd and returns 0.
  virtual int open(const char* path, int flags, mode_t mode, int* fd) = 0;
  virtual int close(int fd) = 0;
  // read(2)/write(2): on success stores the byte count in *done (possibly short) and returns 0.
  virtual int read(int fd, void* buf, std::size_t size, std::size_t* done) = 0;
  virtual int write(int fd, const void* buf, std::size_t size, std::size_t* done) = 0;
  virtual int fsync(int fd) = 0;
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual int lstat(const char* path, struct stat* st) = 0;
  virtual int rename(const char* from, const char* to) = 0;
  virtual int link(const char* from, const char* to) = 0;
  // Gives the open file `fd` (e.g. an O_TMPFILE) the name `to` (linkat through /proc/self/fd).
  virtual int link_fd(int fd, const char* to) = 0;
  virtual int unlink(const char* path) = 0;
  virtual int mkdir(const char* path, mode_t mode) = 0;
  virtual int rmdir(const char* path) = 0;
  // Sets the access and modification times of `path` (not following a symlink) to now: the
  // last-use mark of StoreOptions::touch_on_use.
  virtual int touch(const char* path) = 0;
  // ioctl(dst_fd, FICLONE, src_fd): makes dst share src's data blocks (a reflink). EOPNOTSUPP,
  // EINVAL or ENOTTY where the filesystem cannot clone, EXDEV across filesystems.
  virtual int clone(int src_fd, int dst_fd) = 0;
  // copy_file_range(2) of up to `size` bytes from src_fd's offset to dst_fd's: on success stores
  // the byte count in *done (0 at the end of src) and returns 0.
  virtual int copy_range(int src_fd, int dst_fd, std::size_t size, std::size_t* done) = 0;
  // symlink(2): makes `path` a symbolic link to `target`.
  virtual int symlink(const char* target, const char* path) = 0;
  // chmod(2) of `path` (following a symlink).
  virtual int chmod(const char* path, mode_t mode) = 0;
};

// Forwards every call to `target`; override the calls you want to change.
class FileSystemWrapper : public FileSystem {
 public:
  explicit FileSystemWrapper(std::shared_ptr<FileSystem> target) : target_(std::move(target)) {}

  int open(const char* path, int flags, mode_t mode, int* fd) override {
    return target_->open(path, flags, mode, fd);
  }
  int close(int fd) override { return target_->close(fd); }
  int read(int fd, void* buf, std::size_t size, std::size_t* done) override {
    return target_->read(fd, buf, size, done);
  }
  int write(int fd, const void* buf, std::size_t size, std::size_t* done) override {
    return target_->write(fd, buf, size, done);
  }
  int fsync(int fd) override { return target_->fsync(fd); }
  int fstat(int fd, struct stat* st) override { return target_->fstat(fd, st); }
  int lstat(const char* path, struct stat* st) override { return target_->lstat(path, st); }
  int rename(const char* from, const char* to) override { return target_->rename(from, to); }
  int link(const char* from, const char* to) override { return target_->link(from, to); }
  int link_fd(int fd, const char* to) override { return target_->link_fd(fd, to); }
  int unlink(const char* path) override { return target_->unlink(path); }
  int mkdir(const char* path, mode_t mode) override { return target_->mkdir(path, mode); }
  int rmdir(const char* path) override { return target_->rmdir(path); }
  int touch(const char* path) override { return target_->touch(path); }
  int clone(int src_fd, int dst_fd) override { return target_->clone(src_fd, dst_fd); }
  int copy_range(int src_fd, int dst_fd, std::size_t size, std::size_t* done) override {
    return target_->copy_range(src_fd, dst_fd, size, done);
  }
  int symlink(const char* target, const char* path) override {
    return target_->symlink(target, path);
  }
  int chmod(const char* path, mode_t mode) override { return target_->chmod(path, mode); }

  FileSystem& target() const { return *target_; }

 private:
  std::shared_ptr<FileSystem> target_;
};

}  // namespace cas
