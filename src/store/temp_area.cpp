// The temp area: creating temp files (anonymous where possible) and reaping crashed writers'.
#include "store/temp_area.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <random>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "cas/walker.hpp"
#include "util/posix_error.hpp"

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

void create_root(FileSystem& fs, const std::string& root) {
  const int err = fs.mkdir(root.c_str(), 0777);
  if (err == 0 || err == EEXIST) return;
  // The root's own parents may be missing too: let Boost create the chain.
  boost::system::error_code ec;
  boost::filesystem::create_directories(root, ec);
  if (ec && !boost::filesystem::is_directory(root)) throw_errno(ec.value(), "mkdir", root);
}

TempArea::TempArea(const std::string& root, std::shared_ptr<FileSystem> fs,
                   std::chrono::seconds reap_age)
    : root_(root),
      dir_(root + "/" + std::string(Store::kTempDirName)),
      fs_(std::move(fs)),
      reap_age_(reap_age) {}

std::string TempArea::dir() const { return dir_; }

std::string TempArea::new_name() const { return dir() + "/" + temp_name(); }

void TempArea::recreate() {
  create_root(*fs_, root_);
  const int err = fs_->mkdir(dir_.c_str(), 0777);
  if (err != 0 && err != EEXIST) throw_errno(err, "mkdir", dir_);
}

std::string TempArea::display(const std::string& temp) const {
  // An anonymous (O_TMPFILE) temp has no name yet: errors name the directory it lives in.
  return temp.empty() ? dir() + "/(anonymous temp file)" : temp;
}

std::string TempArea::create(int* fd) {
  const std::string area = dir();
  const auto reap_age = reap_age_;
  if (reap_age.count() > 0 && !reaped_.exchange(true)) {
    // Best effort: a failure to clean up after someone else's crash must not fail this write.
    try {
      reap(reap_age);
    } catch (const Error&) {
    }
  }
  FileSystem& fs = *fs_;
  for (int attempt = 0; attempt < 8; ++attempt) {
    int err = ENOENT;
    if (tmpfile_.load(std::memory_order_relaxed) == Tmpfile::unknown) probe_tmpfile(area);
    const Tmpfile tmpfile = tmpfile_.load(std::memory_order_relaxed);
    if (tmpfile == Tmpfile::supported) {
      // An anonymous temp file: if the writer dies before it is linked, the kernel frees it,
      // so a crash can never leave a partial file behind, not even in the temp area.
      // Read-write: a fetch reads back what it wrote to hash it beside the transfer.
      err = fs.open(area.c_str(), O_TMPFILE | O_RDWR, 0666, fd);
      if (err == 0) return {};
      if (err != ENOENT) throw_errno(err, "create", area);  // a named one would fail too
    } else if (tmpfile == Tmpfile::unsupported) {
      std::string path = new_name();
      add_named_temp(path);
      err = fs.open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOCTTY, 0666, fd);
      if (err == 0) return path;
      erase_named_temp(path);
      if (err == EEXIST) continue;  // a leftover of a process with our pid and salt: next name
      if (err != ENOENT) throw_errno(err, "create", path);
    }
    recreate();  // the first write into this root: create it and its temp area
  }
  throw_errno(ENOENT, "create", area);
}

void TempArea::probe_tmpfile(const std::string& area) {
  FileSystem& fs = *fs_;
  int fd = -1;
  int err = fs.open(area.c_str(), O_TMPFILE | O_WRONLY, 0666, &fd);
  if (err == ENOENT) return;  // no area yet: create() makes it and probes again
  if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) {
    tmpfile_.store(Tmpfile::unsupported);  // this filesystem or kernel has no O_TMPFILE
    return;
  }
  if (err != 0) throw_errno(err, "create", area);  // EACCES, ENOSPC, EMFILE...
  // The kernel names an anonymous file only through linkat: try it on this empty one (a file
  // linked once cannot be linked again, so the probe cannot be the write's own temp).
  const std::string probe = new_name();
  add_named_temp(probe);
  err = fs.link_fd(fd, probe.c_str());
  TempGuard probe_guard(fs, err == 0 ? probe : std::string(), fd);
  if (err != 0) erase_named_temp(probe);
  if (err == ENOSPC || err == EDQUOT || err == EMFILE || err == ENFILE || err == ENOMEM ||
      err == EIO) {
    throw_errno(err, "link", probe);  // a failure of the moment, not a missing feature
  }
  struct stat st;
  if (err == ENOENT && fs.lstat(area.c_str(), &st) != 0) return;  // the area went: probe again
  if (err != 0) {  // no /proc (ENOENT), or this filesystem cannot name an anonymous file
    tmpfile_.store(Tmpfile::unsupported);
    return;
  }
  // Kernels before 6.0 skipped the umask for O_TMPFILE on filesystems without POSIX ACLs, so
  // published files would be world-writable: compare with a named file's mode, and where they
  // differ use named temps.
  const std::string reference = new_name();
  add_named_temp(reference);
  int ref_fd = -1;
  err = fs.open(reference.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0666, &ref_fd);
  if (err != 0) {  // cannot compare: named temps, which fail themselves if this was not a fluke
    erase_named_temp(reference);
    tmpfile_.store(Tmpfile::unsupported);
    return;
  }
  TempGuard reference_guard(fs, reference, ref_fd);
  struct stat anon {};
  struct stat named {};
  const bool same = fs.fstat(ref_fd, &named) == 0 && fs.fstat(fd, &anon) == 0 &&
                    (anon.st_mode & 07777) == (named.st_mode & 07777);
  tmpfile_.store(same ? Tmpfile::supported : Tmpfile::unsupported);
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
