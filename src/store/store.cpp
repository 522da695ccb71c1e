// Store: construction, lookup with migrate-on-lookup (then the remote: store_remote.cpp),
// open_fd and open (a stream on open_fd's descriptor), remove and flush. The helpers
// behind them are StoreImpl's (src/store/store_impl.hpp says which file holds what).
#include "cas/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "cas/errors.hpp"
#include "store/fd_istream.hpp"
#include "store/quarantine.hpp"
#include "store/store_impl.hpp"
#include "util/posix_error.hpp"
#include "util/rel_path.hpp"

namespace cas {

using detail::parent_of;

Store::Store(boost::filesystem::path root, StoreOptions options)
    : impl_(std::make_unique<detail::StoreImpl>(std::move(root), std::move(options))) {
  const StoreOptions& o = impl_->options_;
  if (o.limits.any() && !o.read_only) {
    impl_->auto_trim_ = std::make_unique<detail::AutoTrimmer>(*this, o.limits);
  }
}

Store::~Store() {
  // The trim thread uses this Store: it must be done before any of it goes.
  if (impl_->auto_trim_) impl_->auto_trim_->wait();
}

const boost::filesystem::path& Store::root() const { return impl_->root_; }

const std::vector<std::shared_ptr<const Layout>>& Store::layouts() const {
  return impl_->options_.layouts;
}

const StoreOptions& Store::options() const { return impl_->options_; }

void Store::set_read_only() { impl_->read_only_.store(true); }

bool Store::read_only() const { return impl_->read_only_.load(); }

boost::filesystem::path Store::preferred_path(std::string_view hash) const {
  impl_->layouts_for(hash);
  return impl_->abs(layouts().front()->lookup(hash));
}

std::optional<boost::filesystem::path> Store::lookup(std::string_view hash) {
  if (auto found = lookup_local(hash)) return found;
  return impl_->read_through(hash);
}

std::optional<boost::filesystem::path> Store::lookup_local(std::string_view hash) {
  detail::StoreImpl& s = *impl_;
  auto layouts = s.layouts_for(hash);
  const std::string preferred_rel = layouts.front()->lookup(hash);
  const std::string preferred = s.abs(preferred_rel);
  struct stat st;
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    std::string rel = i == 0 ? preferred_rel : layouts[i]->lookup(hash);
    std::string path = i == 0 ? preferred : s.abs(rel);
    if (!s.exists(path, &st)) continue;
    if (i > 0 && !read_only()) {
      int err = s.rename_into(path, preferred_rel);
      if (err == ENOENT) continue;  // migrated or removed meanwhile: the final check decides
      if (err == 0) {
        s.prune(std::string(parent_of(rel)));
        path = preferred;  // rename keeps the inode, and so its stat
      } else if (err != EACCES && err != EPERM && err != EROFS) {
        throw_errno(err, "rename", path + " -> " + preferred);
      }
    }
    s.touch_if_stale(path, st);  // a migration counts as a use too
    return boost::filesystem::path(path);
  }
  // A concurrent migration may have moved the file from a later layout to the preferred one
  // after we probed the preferred path: look there once more before saying "absent".
  if (layouts.size() > 1 && s.exists(preferred, &st)) {
    s.touch_if_stale(preferred, st);
    return boost::filesystem::path(preferred);
  }
  return std::nullopt;
}

UniqueFd Store::open_fd(std::string_view hash, std::string* path) {
  return open_file(hash, path, nullptr);
}

std::unique_ptr<std::istream> Store::open(std::string_view hash) {
  std::size_t size = SIZE_MAX;
  UniqueFd file = open_file(hash, nullptr, &size);
  if (!file) return nullptr;
  return std::make_unique<FdIStream>(std::move(file), size);
}

UniqueFd Store::open_file(std::string_view hash, std::string* path, std::size_t* size) {
  // The common case, a file in the preferred layout, costs open + fstat: probing it with
  // lookup's stat first would add a second path walk (cas-bench's open_hit against its floor).
  if (UniqueFd file = open_preferred(hash, path, size)) return file;
  // lookup then open races with migration and removal; a vanished file is looked up again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto found = lookup(hash);
    if (!found) return {};
    int fd = -1;
    int err = impl_->fs_->open(found->c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC, 0, &fd);
    if (err == ENOENT) continue;
    if (err != 0) throw_errno(err, "open", found->string());
    UniqueFd file(fd);
    if (options().verify_on_open) impl_->check_content(hash, found->string(), file.get());
    if (path) *path = found->string();
    return file;
  }
  return {};
}

UniqueFd Store::open_preferred(std::string_view hash, std::string* path, std::size_t* size) {
  detail::StoreImpl& s = *impl_;
  const std::string preferred = s.abs(s.preferred_layout(hash).lookup(hash));
  int fd = -1;
  int err = s.fs_->open(preferred.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC, 0, &fd);
  if (err == ENOENT || err == ENOTDIR) return {};
  if (err != 0) throw_errno(err, "open", preferred);
  UniqueFd file(fd);
  struct stat st;
  if ((err = s.fs_->fstat(fd, &st)) != 0) throw_errno(err, "stat", preferred);
  s.touch_if_stale(preferred, st);
  if (options().verify_on_open) s.check_content(hash, preferred, file.get());
  if (path) *path = preferred;
  if (size) *size = static_cast<std::size_t>(st.st_size);
  return file;
}

void Store::remove(std::string_view hash) {
  detail::StoreImpl& s = *impl_;
  auto layouts = s.layouts_for(hash);
  s.check_writable("remove", hash);
  // The preferred copy goes last: a concurrent migration (a lookup, or migrate) links an old
  // copy to the preferred name, and removing that name first would let it come back.
  for (auto it = layouts.rbegin(); it != layouts.rend(); ++it) {
    std::string rel = (*it)->lookup(hash);
    std::string path = s.abs(rel);
    int err = s.fs_->unlink(path.c_str());
    if (err == ENOENT || err == ENOTDIR) continue;
    if (err != 0) throw_errno(err, "unlink", path);
    s.prune(std::string(parent_of(rel)));
  }
}

void Store::flush() {
  detail::StoreImpl& s = *impl_;
  int fd = -1;
  int err = s.fs_->open(s.root_str_.c_str(), O_RDONLY | O_DIRECTORY, 0, &fd);
  if (err == ENOENT) return;
  if (err != 0) throw_errno(err, "open", s.root_str_);
  err = ::syncfs(fd) == 0 ? 0 : errno;
  s.fs_->close(fd);
  if (err != 0) throw_errno(err, "syncfs", s.root_str_);
}

std::size_t Store::reap_temp(std::chrono::seconds older_than) {
  if (older_than.count() < 0) throw InvalidArgumentError("reap_temp: negative age");
  if (read_only()) throw ReadOnlyError("reap", impl_->root_str_);
  return impl_->temp_.reap(older_than);
}

namespace detail {

void StoreImpl::check_content(std::string_view hash, const std::string& path, int fd) {
  auto algorithm = algorithm_for_length(hash.size());
  if (!algorithm) return;
  std::string actual = hash_fd(fd, *algorithm, path);
  if (::lseek(fd, 0, SEEK_SET) != 0) throw_last_error("seek", path);
  if (actual == hash) return;
  // Never serve it again: move it aside (a read-only store only reports it).
  if (!read_only_.load()) {
    struct stat checked;
    if (fs_->fstat(fd, &checked) == 0) {
      quarantine_file(AT_FDCWD, path, AT_FDCWD, abs(Store::kQuarantineDirName), hash, checked);
    }
  }
  throw CorruptError(path, std::string(hash), actual);
}

}  // namespace detail
}  // namespace cas
