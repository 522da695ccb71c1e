// The temp area: creating temp files (anonymous where possible) and reaping crashed writers'.
#include "temp_area.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <random>

#include "cas/errors.hpp"
#include "cas/walker.hpp"
#include "posix_error.hpp"
#include "store_impl.hpp"

namespace cas::detail {
namespace {

// Temp names must be unique across threads and processes sharing the root: pid, a process-wide
// counter and a random salt (the pid may be reused by a later process after a crash).
std::string temp_name() {
  static std::atomic<unsigned long> counter{0};
  static const unsigned long salt = std::random_device{}();
  return "tmp-" + std::to_string(::getpid()) + "-" + std::to_string(salt % 1000000) + "-" +
         std::to_string(counter.fetch_add(1));
}

}  // namespace

int reap_if_stale(int dir_fd, const std::string& name, std::time_t cutoff) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return kKeptTemp;
  if (!S_ISREG(st.st_mode) || st.st_mtime >= cutoff) return kKeptTemp;
  return ::unlinkat(dir_fd, name.c_str(), 0) == 0 ? 0 : errno;
}

std::string TempArea::dir() const { return store_.abs(Store::kTempDirName); }

std::string TempArea::new_name() const { return dir() + "/" + temp_name(); }

void TempArea::recreate() { store_.create_parents(std::string(Store::kTempDirName) + "/x"); }

std::string TempArea::display(const std::string& temp) const {
  // An anonymous (O_TMPFILE) temp has no name yet: errors name the directory it lives in.
  return temp.empty() ? dir() + "/(anonymous temp file)" : temp;
}

std::string TempArea::create(int* fd) {
  const std::string area = dir();
  const auto reap_age = store_.options_.reap_temp_older_than;
  if (reap_age.count() > 0 && !reaped_.exchange(true)) {
    // Best effort: a failure to clean up after someone else's crash must not fail this write.
    try {
      reap(reap_age);
    } catch (const Error&) {
    }
  }
  FileSystem& fs = *store_.fs_;
  for (int attempt = 0; attempt < 8; ++attempt) {
    int err = 0;
    if (tmpfile_.load(std::memory_order_relaxed) != Tmpfile::unsupported) {
      // An anonymous temp file: if the writer dies before it is linked, the kernel frees it,
      // so a crash can never leave a partial file behind, not even in the temp area.
      err = fs.open(area.c_str(), O_TMPFILE | O_WRONLY, 0666, fd);
      if (err == 0) {
        if (tmpfile_.load(std::memory_order_relaxed) == Tmpfile::supported) return {};
        std::string probe = probe_tmpfile(area, *fd);
        if (!probe.empty()) return probe;
        // The probe closed the file and turned anonymous temps off: use a named one.
      } else if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) {
        tmpfile_.store(Tmpfile::unsupported);  // this filesystem or kernel has no O_TMPFILE
      } else if (err != ENOENT) {
        throw_errno(err, "create", area);  // EACCES, ENOSPC, EMFILE...: a named one fails too
      }
    }
    if (err != ENOENT) {
      std::string path = new_name();
      err = fs.open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0666, fd);
      if (err == 0) return path;
      if (err == EEXIST) continue;  // a leftover of a process with our pid and salt: next name
      if (err != ENOENT) throw_errno(err, "create", path);
    }
    recreate();  // the first write into this root: create it and its temp area
  }
  throw_errno(ENOENT, "create", area);
}

std::string TempArea::probe_tmpfile(const std::string& area, int fd) {
  FileSystem& fs = *store_.fs_;
  // The kernel lets an anonymous file be linked only once, so the probe's file keeps the name
  // it is linked to and is published as a named temp.
  std::string probe = area + "/" + temp_name();
  int err = fs.link_fd(fd, probe.c_str());
  if (err == ENOSPC || err == EDQUOT || err == EMFILE || err == ENFILE || err == ENOMEM ||
      err == EIO) {
    fs.close(fd);
    throw_errno(err, "link", probe);  // a failure of the moment, not a missing feature
  }
  if (err != 0) {  // no /proc, or this filesystem cannot name an anonymous file
    fs.close(fd);
    tmpfile_.store(Tmpfile::unsupported);
    return {};
  }
  // Kernels before 6.0 skipped the umask for O_TMPFILE on filesystems without POSIX ACLs, so
  // published files would be world-writable: compare with a named file's mode. Where they
  // differ, this file takes the named mode and every later temp is a named one.
  std::string reference = area + "/" + temp_name();
  int ref_fd = -1;
  struct stat anon {};
  struct stat named {};
  bool same = false;
  if (fs.open(reference.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0666, &ref_fd) == 0) {
    if (fs.fstat(ref_fd, &named) == 0 && fs.fstat(fd, &anon) == 0) {
      same = (anon.st_mode & 07777) == (named.st_mode & 07777);
      if (!same) ::fchmod(fd, named.st_mode & 07777);
    }
    fs.close(ref_fd);
    fs.unlink(reference.c_str());
  }
  tmpfile_.store(same ? Tmpfile::supported : Tmpfile::unsupported);
  return probe;
}

std::size_t TempArea::reap(std::chrono::seconds older_than) {
  const std::string area = dir();
  struct stat st;
  if (::lstat(area.c_str(), &st) != 0) {
    if (errno == ENOENT) return 0;
    throw_last_error("stat", area);
  }
  // Never follow a symlink out of the store to delete files elsewhere.
  if (!S_ISDIR(st.st_mode)) throw_errno(S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR, "open", area);

  WalkOptions options;
  options.threads = 1;  // one directory: nothing to overlap
  options.max_depth = 1;
  options.on_error = [&](const WalkError& e) -> ErrorAction {
    throw_errno(e.code, e.operation, e.path);
  };
  const std::time_t cutoff = std::time(nullptr) - older_than.count();
  std::size_t reaped = 0;
  Walker walker(options);
  walker.walk(area, [&](const WalkEntry& e) {
    if (e.type != DT_REG) return WalkAction::proceed;
    const std::string name(e.name);
    const int err = reap_if_stale(e.parent_fd, name, cutoff);
    if (err == 0) ++reaped;
    if (err > 0 && err != ENOENT) throw_errno(err, "unlink", area + "/" + name);
    return WalkAction::proceed;
  });
  return reaped;
}

}  // namespace cas::detail
