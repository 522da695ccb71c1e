// A loop device over an image file, attached the way `losetup --direct-io=on` does it and
// detached by the kernel once nothing holds it (autoclear), for ScratchFs.
//
// Why direct I/O: a buffered loop device reads through the image file's page cache, so every
// block of the filesystem above it is cached twice (a store that fits in the RAM behaves as
// if it had half of it), and it serves reads one at a time: a parallel walker over a cold
// 300k-file store took 11.0 s buffered against 5.8 s with direct I/O
// (bench/results/store-ops/ext4-10M.md).
#pragma once

#include <string>

#include "cas/unique_fd.hpp"

namespace cas::bench {

class LoopDevice {
 public:
  // Attaches `image` (read-write) to a free loop device with direct I/O and autoclear.
  // Throws cas::Error naming the image and the reason (no /dev/loop-control, not root, no
  // free device). When the kernel cannot do direct I/O on the image's filesystem the device
  // works buffered: direct_io() says which.
  explicit LoopDevice(const std::string& image);
  // The destructor closes this process's hold: the device goes away now if nothing mounted
  // it, or when the filesystem mounted on it is unmounted (autoclear: the last close detaches).

  const std::string& path() const { return path_; }  // "/dev/loop3"
  bool direct_io() const { return direct_io_; }      // as the kernel reports it in sysfs

 private:
  std::string path_;
  UniqueFd hold_;
  bool direct_io_ = false;
};

}  // namespace cas::bench
