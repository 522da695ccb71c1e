// One file of a checkout: which of reflink, hard link, copy and symlink, and the fallbacks
// (materialize.hpp; the policy is checkout.hpp's).
#include "checkout/materialize.hpp"

#include <fcntl.h>

#include <cerrno>
#include <string>

#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"
#include "util/rel_path.hpp"

namespace cas::detail {
namespace {

// The stored file vanished between the lookup and its use (trimmed, removed, migrated by
// another process): looked up again.
struct SourceGone {};
constexpr int kLookups = 3;
// Something was at the destination when the file was made there without a look first (or was
// made there meanwhile): looked at, then replaced unless it is already what was asked for.
struct DestinationTaken {};
// The destination already holds what was asked for.
struct AlreadyThere {};

// Turns EEXIST from a FileMaker call made without `replace` into DestinationTaken.
int taken_or(int err, bool replace) {
  if (err == EEXIST && !replace) throw DestinationTaken{};
  return err;
}

FileSystem& file_system_of(Store& store) {
  const auto& fs = store.options().file_system;
  return fs ? *fs : *FileSystem::posix();
}

bool executable_bit(const struct stat& st) { return (st.st_mode & S_IXUSR) != 0; }

mode_t new_file_mode(bool executable) { return executable ? 0777 : 0666; }

std::uint64_t file_size(const StoredFile& src) {
  return static_cast<std::uint64_t>(src.st.st_size);
}

// "<src> -> <dest> (store on <fs>, destination on <fs>)", for errors between two filesystems.
std::string across(const StoredFile& src, const std::string& dest) {
  return src.path + " -> " + dest + " (store on " + describe_filesystem(src.path) +
         ", destination on " + describe_filesystem(std::string(parent_of(dest))) + ")";
}

UniqueFd open_source(FileSystem& fs, const StoredFile& src) {
  int fd = -1;
  if (int err = fs.open(src.path.c_str(), O_RDONLY, 0, &fd); err != 0) {
    if (err == ENOENT) throw SourceGone{};
    throw_errno(err, "open", src.path);
  }
  return UniqueFd(fd);
}

}  // namespace

Materializer::Materializer(Store& store, LinkMode mode, ClonePairs& pairs)
    : store_(store), fs_(file_system_of(store)), maker_(fs_), mode_(mode), pairs_(pairs) {}

StoredFile Materializer::find(const std::string& hash) {
  for (int i = 0; i < kLookups; ++i) {
    auto path = store_.lookup(hash);
    if (!path) break;
    StoredFile src{path->string(), {}};
    const int err = fs_.lstat(src.path.c_str(), &src.st);
    if (err == 0) return src;
    if (err != ENOENT) throw_errno(err, "lstat", src.path);
  }
  throw Error("checkout " + hash + ": not in the store" +
              (store_.options().remote ? " nor on its remote" : ""));
}

bool Materializer::exists_differing(const StoredFile& src, const std::string& dest,
                                    bool executable) {
  struct stat there {};
  const int err = fs_.lstat(dest.c_str(), &there);
  if (err == ENOENT) return false;
  if (err != 0) throw_errno(err, "lstat", dest);
  if (S_ISDIR(there.st_mode)) throw_errno(EISDIR, "checkout to", dest);
  if (already_there(src, dest, there, executable, mode_)) throw AlreadyThere{};
  return true;
}

CheckoutAction Materializer::place(const std::string& hash, const std::string& dest,
                                   const DestDir& dir, std::optional<bool> executable,
                                   std::uint64_t* size) {
  const dev_t dest_dev = dir.dev;
  for (int i = 0;; ++i) {
    StoredFile src = find(hash);
    const bool exec = executable.value_or(executable_bit(src.st));
    *size = static_cast<std::uint64_t>(src.st.st_size);
    // Made without a look first where nothing is likely to be (a directory this checkout made)
    // and where a link is cheaper to try than a look (one system call); what is found there
    // after all is then looked at. A copy or clone into an old directory looks first: it would
    // be wasted on a destination that has the file already.
    const bool link_first =
        dir.made || mode_ == LinkMode::hardlink || mode_ == LinkMode::symlink ||
        (mode_ == LinkMode::auto_ && pairs_.known(src.st.st_dev, dest_dev) == false);
    try {
      try {
        return make(src, dest, dest_dev, exec, !link_first && exists_differing(src, dest, exec));
      } catch (const DestinationTaken&) {
        return make(src, dest, dest_dev, exec, exists_differing(src, dest, exec));
      }
    } catch (const AlreadyThere&) {
      return CheckoutAction::already_there;
    } catch (const SourceGone&) {
      if (i + 1 == kLookups) throw_errno(ENOENT, "checkout", src.path);
    }
  }
}

CheckoutAction Materializer::make(StoredFile& src, const std::string& dest, dev_t dest_dev,
                                  bool executable, bool replace) {
  switch (mode_) {
    case LinkMode::auto_:
      return by_auto(src, dest, dest_dev, executable, replace);
    case LinkMode::hardlink:
      return by_hardlink(src, dest, dest_dev, executable, replace);
    case LinkMode::reflink:
      return own_file(src, dest, dest_dev, executable, replace, true);
    case LinkMode::copy:
      return own_file(src, dest, dest_dev, executable, replace, false);
    case LinkMode::symlink:
      return by_symlink(src, dest, replace);
  }
  throw InvalidArgumentError("checkout: unknown link mode");
}

bool Materializer::make_read_only(StoredFile& src) {
  if ((src.st.st_mode & 0222) == 0) return true;
  if (store_.read_only()) return false;
  const int err = fs_.chmod(src.path.c_str(), src.st.st_mode & 07555);
  if (err == 0) {
    src.st.st_mode &= ~mode_t{0222};
    return true;
  }
  if (err == ENOENT) throw SourceGone{};
  if (err == EPERM || err == EACCES || err == EROFS) return false;
  throw_errno(err, "chmod", src.path);
}

CheckoutAction Materializer::own_file(const StoredFile& src, const std::string& dest,
                                      dev_t dest_dev, bool executable, bool replace,
                                      bool clone_required) {
  UniqueFd in = open_source(fs_, src);
  const auto known = clone_required || mode_ != LinkMode::copy
                         ? pairs_.known(src.st.st_dev, dest_dev)
                         : std::optional<bool>(false);
  if (known != false && try_clone(src, in.get(), dest, dest_dev, executable, replace)) {
    return CheckoutAction::reflinked;
  }
  if (clone_required) throw_errno(EOPNOTSUPP, "reflink", across(src, dest));
  const mode_t mode = new_file_mode(executable);
  if (const int err =
          taken_or(maker_.write(in.get(), file_size(src), dest, mode, false, replace), replace)) {
    throw_errno(err, "copy to", dest);
  }
  return CheckoutAction::copied;
}

bool Materializer::try_clone(const StoredFile& src, int in, const std::string& dest, dev_t dest_dev,
                             bool executable, bool replace) {
  const int err = taken_or(
      maker_.write(in, file_size(src), dest, new_file_mode(executable), true, replace), replace);
  if (err != 0 && !cannot_clone(err)) throw_errno(err, "reflink", src.path + " -> " + dest);
  pairs_.remember(src.st.st_dev, dest_dev, err == 0);
  return err == 0;
}

CheckoutAction Materializer::by_auto(StoredFile& src, const std::string& dest, dev_t dest_dev,
                                     bool executable, bool replace) {
  if (pairs_.known(src.st.st_dev, dest_dev) != false) {
    // Probes the pair (or clones, once it is known to clone): own_file copies only when the
    // clone is refused, and then the pair is known not to clone.
    if (pairs_.known(src.st.st_dev, dest_dev) == true) {
      return own_file(src, dest, dest_dev, executable, replace, false);
    }
    UniqueFd in = open_source(fs_, src);
    if (try_clone(src, in.get(), dest, dest_dev, executable, replace)) {
      return CheckoutAction::reflinked;
    }
  }
  if (executable == executable_bit(src.st) && src.st.st_dev == dest_dev && make_read_only(src)) {
    const int err = taken_or(maker_.link(src.path, dest, replace), replace);
    if (err == 0) return CheckoutAction::hardlinked;
    if (err == ENOENT) throw SourceGone{};
    // EXDEV: the same device through two mounts (a bind mount); EMLINK: the link limit.
    if (err != EXDEV && err != EMLINK) throw_errno(err, "link", src.path + " -> " + dest);
  }
  return own_file(src, dest, dest_dev, executable, replace, false);
}

CheckoutAction Materializer::by_hardlink(StoredFile& src, const std::string& dest, dev_t dest_dev,
                                         bool executable, bool replace) {
  if (executable != executable_bit(src.st)) {
    return own_file(src, dest, dest_dev, executable, replace, false);
  }
  if (!make_read_only(src)) {
    throw PermissionError(EPERM, "make read-only (before a hard link)", src.path);
  }
  const int err = taken_or(maker_.link(src.path, dest, replace), replace);
  if (err == 0) return CheckoutAction::hardlinked;
  if (err == ENOENT) throw SourceGone{};
  if (err == EMLINK) return own_file(src, dest, dest_dev, executable, replace, false);
  if (err == EXDEV) throw_errno(err, "link", across(src, dest));
  throw_errno(err, "link", src.path + " -> " + dest);
}

CheckoutAction Materializer::by_symlink(StoredFile& src, const std::string& dest, bool replace) {
  if (!make_read_only(src)) {
    throw PermissionError(EPERM, "make read-only (before a symlink to it)", src.path);
  }
  const int err = taken_or(maker_.symlink(src.path, dest, replace), replace);
  if (err != 0) throw_errno(err, "symlink", dest + " -> " + src.path);
  return CheckoutAction::symlinked;
}

}  // namespace cas::detail
