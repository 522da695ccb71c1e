// What the checkout tests share (checkout_test.cpp, checkout_mount_test.cpp): a store with
// content put in it, stat and filesystem helpers, and a loop-mounted XFS with reflink.
// (No <sys/mount.h>: with glibc 2.36 it conflicts with <linux/fs.h>, which FIEMAP needs.)
#pragma once

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>

#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas::test {

// Puts `content` into `store` (through a file in `scratch`) and returns its hash.
inline std::string put_content(Store& store, const boost::filesystem::path& scratch,
                               const std::string& content) {
  const auto src = scratch / ("src-" + sha256(content).substr(0, 12));
  write_file(src, content);
  return store.put(src);
}

inline struct stat lstat_of(const boost::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) st.st_ino = 0;
  return st;
}

inline bool same_inode(const boost::filesystem::path& a, const boost::filesystem::path& b) {
  const struct stat x = lstat_of(a), y = lstat_of(b);
  return x.st_ino != 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

inline bool on_filesystem(const boost::filesystem::path& p, unsigned long magic) {
  struct statfs sf {};
  return ::statfs(p.c_str(), &sf) == 0 && static_cast<unsigned long>(sf.f_type) == magic;
}

// The physical offsets of `p`'s extents, each with whether the kernel marks it shared
// (FIEMAP_EXTENT_SHARED: another file's blocks too, as after a reflink).
struct Extent {
  std::uint64_t physical = 0;
  bool shared = false;
};
inline std::vector<Extent> extents_of(const boost::filesystem::path& p) {
  std::vector<Extent> out;
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  constexpr unsigned kMax = 32;
  std::vector<char> buf(sizeof(fiemap) + kMax * sizeof(fiemap_extent));
  auto* map = reinterpret_cast<fiemap*>(buf.data());
  map->fm_length = FIEMAP_MAX_OFFSET;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = kMax;
  if (::ioctl(fd, FS_IOC_FIEMAP, map) == 0) {
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
      out.push_back({map->fm_extents[i].fe_physical,
                     (map->fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED) != 0});
    }
  }
  ::close(fd);
  return out;
}

// An XFS made with reflink=1 on a sparse image, loop-mounted at `where`, unmounted and its
// image removed on destruction. Needs root and mkfs.xfs: ok() says whether it is mounted, and
// why_not() why not.
class XfsMount {
 public:
  explicit XfsMount(const boost::filesystem::path& where) : where_(where) {
    image_ = where.string() + ".img";
    boost::filesystem::create_directories(where);
    const RunResult made =
        run({"sh", "-c",
             "truncate -s 320M '" + image_ + "' && mkfs.xfs -q -m reflink=1 '" + image_ +
                 "' && mount -o loop '" + image_ + "' '" + where.string() + "'"});
    ok_ = made.exit_code == 0;
    why_not_ = made.err;
  }
  ~XfsMount() {
    if (ok_) run({"umount", "-l", where_.string()});
    ::unlink(image_.c_str());
  }
  XfsMount(const XfsMount&) = delete;
  XfsMount& operator=(const XfsMount&) = delete;
  bool ok() const { return ok_; }
  const std::string& why_not() const { return why_not_; }

 private:
  boost::filesystem::path where_;
  std::string image_;
  bool ok_ = false;
  std::string why_not_;
};

}  // namespace cas::test
