// StoreImpl: the root, and the path and directory helpers shared by every mutation.
#include <ctime>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "store/cache_limits.hpp"
#include "store/store_impl.hpp"
#include "util/posix_error.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {
namespace {

// A directory removed by a concurrent prune can make a rename fail with ENOENT after its
// parent was created; each retry recreates it. Losing this race more than a few times in a
// row would take an adversary pruning in a tight loop.
constexpr int kRenameAttempts = 16;

// The root as one canonical string: absolute, normalized, no trailing slash.
std::string canonical_root(const boost::filesystem::path& root) {
  if (root.empty()) throw InvalidArgumentError("cas::Store: the root path is empty");
  // absolute() consults only the working directory, never the root itself.
  std::string out = boost::filesystem::absolute(root).lexically_normal().string();
  // Boost 1.74 normalizes "dir/" to "dir/.": drop that and trailing slashes so every spelling
  // of one directory gives the same root (and the same paths).
  while (out.size() > 1 && (out.back() == '/' || out.ends_with("/."))) out.pop_back();
  return out;
}

}  // namespace

StoreImpl::StoreImpl(boost::filesystem::path root, StoreOptions options)
    : root_str_(canonical_root(root)),
      options_(std::move(options)),
      fs_(options_.file_system ? options_.file_system : FileSystem::posix()),
      read_only_(options_.read_only),
      temp_(root_str_, fs_, options_.reap_temp_older_than) {
  if (options_.layouts.empty()) throw InvalidArgumentError("cas::Store: no layouts given");
  if (options_.touch_on_use.count() < 0) {
    throw InvalidArgumentError("cas::Store: negative touch_on_use");
  }
  check_limits(options_.limits, "cas::Store: limits");
  for (const auto& layout : options_.layouts) {
    if (!layout) throw InvalidArgumentError("cas::Store: null layout");
  }
  root_ = root_str_;
}

std::string StoreImpl::abs(std::string_view rel) const {
  std::string out;
  out.reserve(root_str_.size() + 1 + rel.size());  // one allocation per path
  out.append(root_str_);
  if (out != "/") out += '/';
  out.append(rel);
  return out;
}

const Layout& StoreImpl::preferred_layout(std::string_view hash) const {
  validate_hash(hash, options_.layouts.front()->min_hash_length());
  return *options_.layouts.front();
}

boost::container::small_vector<const Layout*, 4> StoreImpl::layouts_for(
    std::string_view hash) const {
  // The preferred layout decides validity; a later layout whose prefix is longer than the
  // hash simply cannot hold it.
  preferred_layout(hash);
  boost::container::small_vector<const Layout*, 4> out;
  for (const auto& layout : options_.layouts) {
    if (hash.size() >= layout->min_hash_length()) out.push_back(layout.get());
  }
  return out;
}

void StoreImpl::check_writable(const char* operation, std::string_view hash) const {
  if (read_only_.load()) throw ReadOnlyError(operation, std::string(hash));
}

bool StoreImpl::exists(const std::string& path, struct stat* out) const {
  struct stat st;
  int err = fs_->lstat(path.c_str(), out ? out : &st);
  if (err == 0) return true;
  if (err == ENOENT || err == ENOTDIR) return false;
  throw_errno(err, "stat", path);
}

void StoreImpl::touch_if_stale(const std::string& path, const struct stat& st) {
  const auto age = options_.touch_on_use.count();
  if (age <= 0 || read_only_.load()) return;
  if (std::time(nullptr) - st.st_mtime <= age) return;  // fresh: nothing to write
  int err = fs_->touch(path.c_str());
  // A reader that may not write still reads; a file removed meanwhile has no use to record.
  if (err == 0 || err == EACCES || err == EPERM || err == EROFS || err == ENOENT) return;
  throw_errno(err, "touch", path);
}

void StoreImpl::create_parents(std::string_view rel) {
  // mkdir from the root down; EEXIST is success (another thread may be creating it too).
  std::vector<std::string_view> missing;
  for (std::string_view d = parent_of(rel); !d.empty(); d = parent_of(d)) missing.push_back(d);
  create_root(*fs_, root_str_);
  int err = 0;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::string path = abs(*it);
    err = fs_->mkdir(path.c_str(), 0777);
    if (err != 0 && err != EEXIST) throw_errno(err, "mkdir", path);
  }
}

int StoreImpl::rename_into(const std::string& from, const std::string& rel_to) {
  std::string to = abs(rel_to);
  int err = 0;
  for (int attempt = 0; attempt < kRenameAttempts; ++attempt) {
    err = fs_->rename(from.c_str(), to.c_str());
    if (err != ENOENT) return err;
    // ENOENT: either `from` vanished or the target directory does not exist (yet, or any
    // more: a concurrent prune). Only the second is worth a retry.
    if (!exists(from)) return ENOENT;
    create_parents(rel_to);
  }
  return err;
}

void StoreImpl::prune(std::string rel_dir) {
  // Climb toward the root, never removing the root itself. Any failure ends the climb:
  // ENOTEMPTY/EEXIST (Solaris) mean in use, ENOENT means someone else pruned it, and a
  // refused rmdir must not fail the operation that already succeeded.
  while (!rel_dir.empty()) {
    if (fs_->rmdir(abs(rel_dir).c_str()) != 0) return;
    rel_dir = std::string(parent_of(rel_dir));
  }
}

void StoreImpl::remove_other_copies(std::string_view hash, const struct stat* keep,
                                    const std::string& moved_from) {
  auto layouts = layouts_for(hash);
  for (std::size_t i = 1; i < layouts.size(); ++i) {
    std::string rel = layouts[i]->lookup(hash);
    std::string path = abs(rel);
    struct stat st;
    int err = fs_->lstat(path.c_str(), &st);
    if (err == 0) {
      if (keep && st.st_dev == keep->st_dev && st.st_ino == keep->st_ino) continue;
      err = fs_->unlink(path.c_str());
      if (err != 0 && err != ENOENT) throw_errno(err, "unlink", path);
    } else if (err != ENOENT && err != ENOTDIR) {
      throw_errno(err, "stat", path);
    } else if (moved_from != path) {
      // Nothing was here: no directory emptied, no rmdir to pay on every insert. (When insert
      // has just moved this very copy into place, its directory may be empty now.)
      continue;
    }
    prune(std::string(parent_of(rel)));
  }
}

}  // namespace cas::detail
