#include "loop_device.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"

namespace cas::bench {
namespace {

// Whether the kernel serves `device` with direct I/O (/sys/block/loopN/loop/dio).
bool reports_direct_io(const std::string& device) {
  std::ifstream in("/sys/block/" + device.substr(device.rfind('/') + 1) + "/loop/dio");
  int dio = 0;
  return static_cast<bool>(in >> dio) && dio == 1;
}

}  // namespace

LoopDevice::LoopDevice(const std::string& image) {
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control) throw_errno(errno, "open (for a loop device)", "/dev/loop-control");
  // O_DIRECT on the backing file asks for direct I/O as LO_FLAGS_DIRECT_IO does (losetup
  // sets both); a filesystem that refuses O_DIRECT gets a buffered device instead.
  UniqueFd backing(::open(image.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT));
  if (!backing && errno == EINVAL) backing.reset(::open(image.c_str(), O_RDWR | O_CLOEXEC));
  if (!backing) throw_errno(errno, "open", image);

  loop_config config{};
  config.fd = static_cast<__u32>(backing.get());
  config.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR;
  std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
  // Another process may take the free device between the two calls (EBUSY): ask again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) throw_errno(errno, "find a free loop device for", image);
    std::string device = "/dev/loop" + std::to_string(n);
    UniqueFd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) throw_errno(errno, "open", device);
    if (::ioctl(fd.get(), LOOP_CONFIGURE, &config) == 0) {
      path_ = device;
      hold_ = std::move(fd);
      direct_io_ = reports_direct_io(device);
      return;
    }
    int err = errno;
    if (err == EINVAL && (config.info.lo_flags & LO_FLAGS_DIRECT_IO)) {
      // A kernel that cannot do direct I/O on this file may refuse it: go buffered, without
      // O_DIRECT on the backing file too (the kernel reads the request from both).
      config.info.lo_flags &= ~LO_FLAGS_DIRECT_IO;
      backing.reset(::open(image.c_str(), O_RDWR | O_CLOEXEC));
      if (!backing) throw_errno(errno, "open", image);
      config.fd = static_cast<__u32>(backing.get());
      continue;
    }
    if (err != EBUSY) throw_errno(err, "attach " + image + " to", device);
  }
  throw Error("attach " + image + " to a loop device: every free one was taken first");
}

}  // namespace cas::bench
