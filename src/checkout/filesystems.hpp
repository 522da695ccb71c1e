// Internal: what a checkout knows about filesystems — whether a (store, destination) pair can
// clone, learnt from the first clone tried on it, and how to name a filesystem in a message.
//
// Thread-safety: ClonePairs may be used from many threads at once; describe_filesystem is a
// free function reading /proc.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace cas::detail {

class ClonePairs {
 public:
  // Whether clones from device `from` to device `to` worked (true) or were refused (false), or
  // nullopt while no clone was tried on that pair.
  std::optional<bool> known(dev_t from, dev_t to) const;
  void remember(dev_t from, dev_t to, bool can_clone);

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<dev_t, dev_t>, bool> pairs_;
};

// Whether `err`, from FICLONE, says the pair cannot clone at all (rather than that this one
// file failed): EOPNOTSUPP, EINVAL, ENOTTY, ENOSYS, EXDEV.
bool cannot_clone(int err);

// "xfs at /mnt/scratch (device 7:0)": the type, mount point and device of the filesystem that
// holds `path` (which must exist). Never throws: what cannot be found is left out.
std::string describe_filesystem(const std::string& path);

}  // namespace cas::detail
