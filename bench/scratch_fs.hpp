// A scratch filesystem for benchmarks that need more inodes or bytes than the disk's own
// filesystem offers, or another kind of filesystem: a sparse image file, formatted and
// mounted on a direct-I/O loop device (loop_device.hpp; tmpfs: mounted directly, in RAM). Root
// only. The destructor unmounts it and deletes the image, and so does SIGINT, SIGTERM or SIGHUP
// (the first ScratchFs starts a thread that waits for them), so a benchmark leaves nothing behind,
// whatever happened.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cas::bench {

struct ScratchFsSpec {
  // ext4          ext4 as this machine mounts / : no journal, mounted `discard`
  // ext4-journal  ext4 with its default journal (data=ordered)
  // xfs, btrfs    mkfs defaults
  // tmpfs         in RAM
  // Both ext4 kinds are made with 256-byte inodes and `inline_data`, so files of up to ~150
  // bytes live inside their inode (a 10M-file store then needs no data blocks).
  std::string type;
  std::uint64_t bytes = 0;   // size of the image (sparse) or of the tmpfs
  std::uint64_t inodes = 0;  // ext4 and tmpfs fix their inode count at creation; 0: default
  std::string image_dir = "/var/tmp";
};

// The filesystem kinds --make-fs accepts.
const std::vector<std::string>& scratch_fs_types();

class ScratchFs {
 public:
  // Creates and mounts the filesystem on a fresh directory. Throws cas::Error naming the
  // command that failed and its output (not root, unknown type, mkfs missing, no loop device).
  explicit ScratchFs(const ScratchFsSpec& spec);
  ~ScratchFs();
  ScratchFs(const ScratchFs&) = delete;
  ScratchFs& operator=(const ScratchFs&) = delete;

  const std::string& mount_point() const { return mount_point_; }

  // How a filesystem of `spec` is made, for the results: "xfs (`mkfs.xfs -q -f`, `mount`) on a
  // direct-I/O loop device over a sparse image in /var/tmp".
  static std::string describe(const ScratchFsSpec& spec);

 private:
  void release();  // unmounts (lazily when busy) and deletes the mount point and the image

  std::string mount_point_;
  std::string image_;
  bool mounted_ = false;
};

// Parses a size such as 200G, 512M, 1.5T or a byte count. Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);

}  // namespace cas::bench
