// Store::walk: list the whole store, then visit each hash once.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "posix_error.hpp"
#include "unique_fd.hpp"

namespace cas {
namespace {

struct Listing {
  std::vector<std::string> hashes;
  std::vector<std::string> unrecognized;
};

// Which layout (if any) places a regular file named `name` in directory `dir`.
bool recognized(const std::vector<std::shared_ptr<const Layout>>& layouts, const std::string& dir,
                const char* name) {
  for (const auto& layout : layouts) {
    if (layout->contains(dir, name)) return true;
  }
  return false;
}

void list_directory(int dir_fd, const std::string& rel, const std::string& display,
                    const std::vector<std::shared_ptr<const Layout>>& layouts, Listing& out) {
  DIR* dir = ::fdopendir(dir_fd);
  if (!dir) {
    int err = errno;
    ::close(dir_fd);
    throw_errno(err, "opendir", display);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  std::vector<std::string> subdirs;
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    std::string child = rel.empty() ? name : rel + "/" + name;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type == DT_DIR) {
      // The store's own areas (.cas-tmp, .cas-quarantine) are not content.
      if (rel.empty() && std::string_view(name).rfind(".cas-", 0) == 0) continue;
      subdirs.push_back(name);
    } else if (type == DT_REG && recognized(layouts, rel, name)) {
      out.hashes.emplace_back(name);
    } else {
      out.unrecognized.push_back(std::move(child));
    }
    errno = 0;
  }
  if (errno != 0) throw_last_error("readdir", display);
  for (const auto& sub : subdirs) {
    int fd = ::openat(::dirfd(dir), sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    std::string sub_rel = rel.empty() ? sub : rel + "/" + sub;
    if (fd < 0) {
      if (errno == ENOENT) continue;  // removed while we listed
      throw_last_error("open", display + "/" + sub);
    }
    list_directory(fd, sub_rel, display + "/" + sub, layouts, out);
  }
}

}  // namespace

void Store::walk(const std::function<void(const std::string& hash)>& visit) const {
  int fd = ::open(root_str_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;
    throw_last_error("open", root_str_);
  }
  Listing listing;
  list_directory(fd, "", root_str_, options_.layouts, listing);
  std::sort(listing.hashes.begin(), listing.hashes.end());
  listing.hashes.erase(std::unique(listing.hashes.begin(), listing.hashes.end()),
                       listing.hashes.end());
  for (const auto& hash : listing.hashes) visit(hash);
  if (!listing.unrecognized.empty()) {
    std::sort(listing.unrecognized.begin(), listing.unrecognized.end());
    throw UnrecognizedPathsError(std::move(listing.unrecognized));
  }
}

}  // namespace cas
