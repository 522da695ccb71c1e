// Filesystems as a checkout sees them (filesystems.hpp).
#include "checkout/filesystems.hpp"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cas::detail {
namespace {

std::string type_name(const std::string& path) {
  struct statfs sf {};
  if (::statfs(path.c_str(), &sf) != 0) return "a filesystem";
  switch (static_cast<unsigned long>(sf.f_type)) {
    case EXT4_SUPER_MAGIC:
      return "ext4";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case NFS_SUPER_MAGIC:
      return "nfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlay";
    default:
      break;
  }
  std::ostringstream hex;
  hex << "filesystem type 0x" << std::hex << sf.f_type;
  return hex.str();
}

// The mount point of device `dev` that is the longest prefix of `path` (bind mounts list a
// device several times), from /proc/self/mountinfo: "id parent major:minor root point ...".
std::string mount_point(dev_t dev, const std::string& path) {
  const std::string want = std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
  std::ifstream in("/proc/self/mountinfo");
  std::string line, best;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, numbers, root, point;
    if (!(fields >> id >> parent >> numbers >> root >> point) || numbers != want) continue;
    const bool prefix = path.compare(0, point.size(), point) == 0 &&
                        (point == "/" || path.size() == point.size() || path[point.size()] == '/');
    if (prefix && point.size() >= best.size()) best = point;
  }
  return best;
}

}  // namespace

std::optional<bool> ClonePairs::known(dev_t from, dev_t to) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find({from, to});
  if (it == pairs_.end()) return std::nullopt;
  return it->second;
}

void ClonePairs::remember(dev_t from, dev_t to, bool can_clone) {
  std::lock_guard lock(mutex_);
  pairs_[{from, to}] = can_clone;
}

bool cannot_clone(int err) {
  return err == EOPNOTSUPP || err == EINVAL || err == ENOTTY || err == ENOSYS || err == EXDEV;
}

std::string describe_filesystem(const std::string& given) {
  // The mount table lists resolved paths.
  char resolved[PATH_MAX];
  const std::string path = ::realpath(given.c_str(), resolved) ? resolved : given;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return type_name(path);
  std::string out = type_name(path);
  if (std::string point = mount_point(st.st_dev, path); !point.empty()) out += " at " + point;
  return out + " (device " + std::to_string(major(st.st_dev)) + ":" +
         std::to_string(minor(st.st_dev)) + ")";
}

}  // namespace cas::detail
