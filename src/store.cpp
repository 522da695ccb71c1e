// Store: construction, lookup with migrate-on-lookup, open, remove, and the directory helpers
// shared by every mutation. Publishing (insert/copy/put) is in store_publish.cpp and walk in
// store_walk.cpp.
#include "cas/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "fd_istream.hpp"
#include "posix_error.hpp"
#include "quarantine.hpp"

namespace cas {
namespace {

// A directory removed by a concurrent prune can make a rename fail with ENOENT after its
// parent was created; each retry recreates it. Losing this race more than a few times in a
// row would take an adversary pruning in a tight loop.
constexpr int kRenameAttempts = 16;

std::string parent_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

}  // namespace

Store::Store(boost::filesystem::path root, StoreOptions options)
    : options_(std::move(options)), read_only_(options_.read_only) {
  if (root.empty()) throw std::invalid_argument("cas::Store: the root path is empty");
  if (options_.layouts.empty()) throw std::invalid_argument("cas::Store: no layouts given");
  for (const auto& layout : options_.layouts) {
    if (!layout) throw std::invalid_argument("cas::Store: null layout");
  }
  // absolute() consults only the working directory, never the root itself.
  root_ = boost::filesystem::absolute(root).lexically_normal();
  root_str_ = root_.string();
  // Boost 1.74 normalizes "dir/" to "dir/.": drop that and trailing slashes so every spelling
  // of one directory gives the same root (and the same paths).
  while (root_str_.size() > 1 && (root_str_.back() == '/' || root_str_.ends_with("/."))) {
    root_str_.pop_back();
  }
  root_ = root_str_;
  fs_ = options_.file_system ? options_.file_system : FileSystem::posix();
}

const boost::filesystem::path& Store::root() const { return root_; }

void Store::set_read_only() { read_only_.store(true); }

bool Store::read_only() const { return read_only_.load(); }

std::string Store::abs(const std::string& rel) const {
  if (root_str_ == "/") return "/" + rel;
  return root_str_ + "/" + rel;
}

std::vector<const Layout*> Store::layouts_for(std::string_view hash) const {
  // The preferred layout decides validity; a later layout whose prefix is longer than the
  // hash simply cannot hold it.
  validate_hash(hash, options_.layouts.front()->min_hash_length());
  std::vector<const Layout*> out;
  for (const auto& layout : options_.layouts) {
    if (hash.size() >= layout->min_hash_length()) out.push_back(layout.get());
  }
  return out;
}

void Store::check_writable(const char* operation, std::string_view hash) const {
  if (read_only()) throw ReadOnlyError(operation, std::string(hash));
}

bool Store::exists(const std::string& path) const {
  struct stat st;
  int err = fs_->lstat(path.c_str(), &st);
  if (err == 0) return true;
  if (err == ENOENT || err == ENOTDIR) return false;
  throw_errno(err, "stat", path);
}

boost::filesystem::path Store::preferred_path(std::string_view hash) const {
  layouts_for(hash);
  return abs(options_.layouts.front()->lookup(hash));
}

void Store::create_parents(const std::string& rel) {
  // mkdir from the root down; EEXIST is success (another thread may be creating it too).
  std::string dir = parent_of(rel);
  std::vector<std::string> missing;
  for (std::string d = dir; !d.empty(); d = parent_of(d)) missing.push_back(d);
  int err = fs_->mkdir(root_str_.c_str(), 0777);
  if (err != 0 && err != EEXIST) {
    // The root's own parents may be missing too: let Boost create the chain.
    boost::system::error_code ec;
    boost::filesystem::create_directories(root_, ec);
    if (ec && !boost::filesystem::is_directory(root_)) throw_errno(ec.value(), "mkdir", root_str_);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::string path = abs(*it);
    err = fs_->mkdir(path.c_str(), 0777);
    if (err != 0 && err != EEXIST) throw_errno(err, "mkdir", path);
  }
}

int Store::rename_into(const std::string& from, const std::string& rel_to) {
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

void Store::prune(std::string rel_dir) {
  // Climb toward the root, never removing the root itself. Any failure ends the climb:
  // ENOTEMPTY/EEXIST (Solaris) mean in use, ENOENT means someone else pruned it, and a
  // refused rmdir must not fail the operation that already succeeded.
  while (!rel_dir.empty()) {
    if (fs_->rmdir(abs(rel_dir).c_str()) != 0) return;
    rel_dir = parent_of(rel_dir);
  }
}

std::optional<boost::filesystem::path> Store::lookup(std::string_view hash) {
  auto layouts = layouts_for(hash);
  const std::string preferred_rel = layouts.front()->lookup(hash);
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    std::string rel = i == 0 ? preferred_rel : layouts[i]->lookup(hash);
    std::string path = abs(rel);
    if (!exists(path)) continue;
    if (i == 0 || read_only()) return boost::filesystem::path(path);
    int err = rename_into(path, preferred_rel);
    if (err == 0) {
      prune(parent_of(rel));
      return abs(preferred_rel);
    }
    if (err == ENOENT) continue;  // migrated or removed meanwhile: the final check decides
    if (err == EACCES || err == EPERM || err == EROFS) return boost::filesystem::path(path);
    throw_errno(err, "rename", path + " -> " + abs(preferred_rel));
  }
  // A concurrent migration may have moved the file from a later layout to the preferred one
  // after we probed the preferred path: look there once more before saying "absent".
  if (layouts.size() > 1) {
    std::string path = abs(preferred_rel);
    if (exists(path)) return boost::filesystem::path(path);
  }
  return std::nullopt;
}

std::unique_ptr<std::istream> Store::open(std::string_view hash) {
  // lookup then open races with migration and removal; a vanished file is looked up again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto path = lookup(hash);
    if (!path) return nullptr;
    int fd = -1;
    int err = fs_->open(path->c_str(), O_RDONLY | O_NOCTTY, 0, &fd);
    if (err == ENOENT) continue;
    if (err != 0) throw_errno(err, "open", path->string());
    UniqueFd file(fd);
    if (options_.verify_on_open) check_content(hash, path->string(), file.get());
    return std::make_unique<FdIStream>(std::move(file));
  }
  return nullptr;
}

void Store::check_content(std::string_view hash, const std::string& path, int fd) {
  auto algorithm = algorithm_for_length(hash.size());
  if (!algorithm) return;
  std::string actual = hash_fd(fd, *algorithm, path);
  if (::lseek(fd, 0, SEEK_SET) != 0) throw_last_error("seek", path);
  if (actual == hash) return;
  // Never serve it again: move it aside (a read-only store only reports it).
  if (!read_only()) {
    struct stat checked;
    if (::fstat(fd, &checked) == 0) {
      detail::quarantine_file(AT_FDCWD, path, AT_FDCWD, abs(".cas-quarantine"), hash, checked);
    }
  }
  throw CorruptError(path, std::string(hash), actual);
}

void Store::remove(std::string_view hash) {
  auto layouts = layouts_for(hash);
  check_writable("remove", hash);
  // The preferred copy goes last: a concurrent migration (a lookup, or migrate) links an old
  // copy to the preferred name, and removing that name first would let it come back.
  for (auto it = layouts.rbegin(); it != layouts.rend(); ++it) {
    const Layout* layout = *it;
    std::string rel = layout->lookup(hash);
    std::string path = abs(rel);
    int err = fs_->unlink(path.c_str());
    if (err == ENOENT || err == ENOTDIR) continue;
    if (err != 0) throw_errno(err, "unlink", path);
    prune(parent_of(rel));
  }
}

void Store::remove_other_copies(std::string_view hash, const struct stat* keep) {
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
    }
    // Prune even when the copy was already gone: insert may have just moved it from here.
    prune(parent_of(rel));
  }
}

}  // namespace cas
