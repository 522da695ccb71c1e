// Store: insert (move), copy and put — getting the bytes of a source file into the store.
// Publishing the result is StoreImpl::publish_fd's (store_publish.cpp); uploading it to a remote,
// write_through's (store_remote.cpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "store/store_impl.hpp"
#include "util/posix_error.hpp"

namespace cas {
namespace {

using detail::TempGuard;

constexpr std::size_t kCopyChunk = 256 * 1024;

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Opens the regular file `from` for reading; *st gets its fstat. A FIFO is refused at once
// (O_NONBLOCK: the open does not wait for a writer). Throws InsertionError when `from` is
// missing or not a regular file; PermissionError/IoError.
TempGuard open_source(FileSystem& fs, const std::string& from, struct stat* st) {
  int in = -1;
  int err = fs.open(from.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &in);
  if (err == ENOENT || err == ENOTDIR) throw InsertionError(from, "no such file");
  if (err != 0) throw_errno(err, "open", from);
  TempGuard guard(fs, std::string(), in);
  if ((err = fs.fstat(in, st)) != 0) throw_errno(err, "stat", from);
  if (!S_ISREG(st->st_mode)) throw InsertionError(from, "not a regular file");
  ::fcntl(in, F_SETFL, ::fcntl(in, F_GETFL) & ~O_NONBLOCK);  // a regular file: block as usual
  return guard;
}

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

// Copies all of `in` (named `from`) to `out` (named `to` in messages), feeding `hasher` too
// when given.
void copy_bytes(FileSystem& fs, int in, const std::string& from, int out, const std::string& to,
                Hasher* hasher) {
  std::vector<char> buf(kCopyChunk);
  while (true) {
    std::size_t got = 0;
    int err = fs.read(in, buf.data(), buf.size(), &got);
    if (err == EINTR) continue;
    if (err != 0) throw_errno(err, "read", from);
    if (got == 0) return;
    if (hasher) hasher->update(buf.data(), got);
    write_all(fs, out, buf.data(), got, to);
  }
}

}  // namespace

namespace detail {

void StoreImpl::verify_source(std::string_view hash, const std::string& path, int fd) {
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

void StoreImpl::copy_in(std::string_view hash, const std::string& from, bool moving) {
  struct stat st;
  TempGuard in = open_source(*fs_, from, &st);
  if (!moving) verify_source(hash, from, in.fd());  // insert has checked it already

  int out = -1;
  std::string temp = temp_.create(&out);
  {
    TempGuard out_guard(*fs_, temp, out);
    copy_bytes(*fs_, in.fd(), from, out, temp_.display(temp), nullptr);
    // A move keeps the file's mode, as mv does across filesystems.
    if (moving && ::fchmod(out, st.st_mode & 0777) != 0) {
      throw_last_error("chmod", temp_.display(temp));
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

}  // namespace detail

boost::filesystem::path Store::insert(std::string_view hash, const boost::filesystem::path& src) {
  detail::StoreImpl& s = *impl_;
  auto layouts = s.layouts_for(hash);
  s.check_writable("create", hash);
  const std::string from = src.string();
  struct stat st;
  int err = s.fs_->lstat(from.c_str(), &st);
  if (err == ENOENT || err == ENOTDIR) throw InsertionError(from, "no such file");
  if (err != 0) throw_errno(err, "stat", from);
  if (!S_ISREG(st.st_mode)) throw InsertionError(from, "not a regular file");

  s.verify_source(hash, from, -1);
  const Durability durability = options().durability;
  if (durability == Durability::file || durability == Durability::full) {
    // The caller wrote src; its bytes must be on disk before its new name is.
    int fd = -1;
    err = s.fs_->open(from.c_str(), O_RDONLY | O_NOCTTY, 0, &fd);
    if (err == ENOENT) throw InsertionError(from, "no such file");
    if (err != 0) throw_errno(err, "open", from);
    err = s.fs_->fsync(fd);
    s.fs_->close(fd);
    if (err != 0 && err != EINVAL) throw_errno(err, "fsync", from);
  }

  const std::string rel = layouts.front()->lookup(hash);
  err = s.rename_into(from, rel);
  if (err == ENOENT) throw InsertionError(from, "no such file");
  if (err == EXDEV) {
    // Another filesystem: copy into the store, publish, then let go of the source.
    s.copy_in(hash, from, /*moving=*/true);
    err = s.fs_->unlink(from.c_str());
    if (err != 0 && err != ENOENT) throw_errno(err, "unlink", from);
    s.write_through(hash, s.abs(rel));
    return s.abs(rel);
  }
  if (err != 0) {
    // Name the side that refused: the source's directory or the target's.
    bool source_side = ::access(directory_of(from).c_str(), W_OK | X_OK) != 0;
    throw_errno(err, "rename", source_side ? from : s.abs(rel));
  }
  if (durability == Durability::full) detail::sync_parent_directory(*s.fs_, s.abs(rel));
  s.remove_other_copies(hash, nullptr, from);
  s.published(static_cast<std::uint64_t>(st.st_size));
  s.write_through(hash, s.abs(rel));
  return s.abs(rel);
}

boost::filesystem::path Store::copy(std::string_view hash, const boost::filesystem::path& src) {
  auto layouts = impl_->layouts_for(hash);
  impl_->check_writable("create", hash);
  impl_->copy_in(hash, src.string(), /*moving=*/false);
  const std::string published = impl_->abs(layouts.front()->lookup(hash));
  impl_->write_through(hash, published);
  return published;
}

std::string Store::put(const boost::filesystem::path& src, HashAlgorithm algorithm) {
  detail::StoreImpl& s = *impl_;
  const std::string from = src.string();
  // The store could not create the file: name the store, not the source.
  if (read_only()) throw ReadOnlyError("create", s.root_str_);
  struct stat st;
  TempGuard in = open_source(*s.fs_, from, &st);
  // `st` keeps src alive if it is an old-layout copy of the content: put never touches src.
  return s.put_from(in.fd(), from, algorithm, &st);
}

std::string Store::put_fd(int fd, HashAlgorithm algorithm, const std::string& display) {
  detail::StoreImpl& s = *impl_;
  if (read_only()) throw ReadOnlyError("create", s.root_str_);
  return s.put_from(fd, display, algorithm, nullptr);
}

namespace detail {

std::string StoreImpl::put_from(int in, const std::string& from, HashAlgorithm algorithm,
                                const struct stat* keep) {
  int out = -1;
  std::string temp = temp_.create(&out);
  Hasher hasher(algorithm);
  {
    TempGuard out_guard(*fs_, temp, out);
    copy_bytes(*fs_, in, from, out, temp_.display(temp), &hasher);
    out_guard.release();
  }
  std::string hash = hasher.finish();
  publish_fd(out, temp, hash, keep, options_.durability);
  write_through(hash, abs(options_.layouts.front()->lookup(hash)));
  return hash;
}

}  // namespace detail

}  // namespace cas
