// StoreImpl::publish_fd: giving a complete temp file its name.
//
// A reader never sees a partial file: the bytes were written to a temp file in root/.cas-tmp
// (the same filesystem as every layout directory) and are fsynced here when the durability asks
// for it. An anonymous (O_TMPFILE) temp is then linked straight to its preferred path, complete
// from its first instant there; a named temp, or an anonymous one whose name is taken already,
// is renamed over the preferred path, which replaces the old file atomically.
#include <fcntl.h>
#include <sys/stat.h>

#include "store/store_impl.hpp"
#include "util/posix_error.hpp"

namespace cas::detail {
namespace {

// The directory of an absolute path.
std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
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

void sync_parent_directory(FileSystem& fs, const std::string& path) {
  sync_directory(fs, directory_of(path));
}

int StoreImpl::link_temp(int fd, const std::string& rel) {
  const std::string to = abs(rel);
  for (int attempt = 0; attempt < 16; ++attempt) {
    int err = fs_->link_fd(fd, to.c_str());
    if (err != ENOENT) return err;
    create_parents(rel);  // the target directory is missing or was just pruned
  }
  return ENOENT;
}

void StoreImpl::take_back(const std::string& rel, const struct stat& ours) {
  // Moved aside first, so that the file checked is the file removed: a concurrent writer may
  // rename its own (good) copy over the name at any instant.
  const std::string path = abs(rel);
  const std::string aside = temp_.new_name();
  add_named_temp(aside);
  int err = fs_->rename(path.c_str(), aside.c_str());
  if (err == ENOENT && exists(path)) {  // the temp area was removed meanwhile
    temp_.recreate();
    err = fs_->rename(path.c_str(), aside.c_str());
  }
  if (err != 0) {  // gone already, or cannot be moved: nothing more to do safely
    erase_named_temp(aside);
    return;
  }
  struct stat st;
  if (fs_->lstat(aside.c_str(), &st) != 0 || st.st_dev != ours.st_dev || st.st_ino != ours.st_ino) {
    // Another writer's copy: back under its name, unless a third has published there since
    // (link does not replace).
    fs_->link(aside.c_str(), path.c_str());
  }
  fs_->unlink(aside.c_str());
  erase_named_temp(aside);
}

void StoreImpl::publish_fd(int fd, const std::string& named_temp, std::string_view hash,
                           const struct stat* keep, Durability durability) {
  std::string temp = named_temp;
  const std::string display = temp_.display(temp);
  TempGuard guard(*fs_, temp, fd);
  if (durability == Durability::file || durability == Durability::full) {
    int err = fs_->fsync(fd);
    if (err != 0) throw_errno(err, "fsync", display);
  }
  struct stat content {};
  if (auto_trim_ && fs_->fstat(fd, &content) != 0) content.st_size = 0;
  const std::string rel = options_.layouts.front()->lookup(hash);
  struct stat linked {};  // set when the anonymous temp was linked straight to its name
  if (temp.empty()) {
    int err = link_temp(fd, rel);
    if (err == 0 && fs_->fstat(fd, &linked) != 0) linked.st_nlink = 0;
    if (err == EEXIST) {
      // Content is already there: replace it atomically through a named temp and a rename.
      temp = temp_.new_name();
      add_named_temp(temp);
      guard.set_path(temp);  // listed before it exists; the guard erases it on failure
      err = fs_->link_fd(fd, temp.c_str());
      if (err == ENOENT) {  // the temp area was removed while this file was written
        temp_.recreate();
        err = fs_->link_fd(fd, temp.c_str());
      }
      if (err != 0) throw_errno(err, "link", temp);
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
  if (!temp.empty()) erase_named_temp(temp);  // renamed to its final name
  if (durability == Durability::full) sync_parent_directory(*fs_, abs(rel));
  remove_other_copies(hash, keep);
  published(static_cast<std::uint64_t>(content.st_size));
}

}  // namespace cas::detail
