#include "loop_device.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "cas/errors.hpp"

namespace cas::bench {
namespace {

// Closes a descriptor at the end of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Whether the kernel serves `device` with direct I/O (/sys/block/loopN/loop/dio).
bool reports_direct_io(const std::string& device) {
  std::ifstream in("/sys/block/" + device.substr(device.rfind('/') + 1) + "/loop/dio");
  int dio = 0;
  return static_cast<bool>(in >> dio) && dio == 1;
}

}  // namespace

LoopDevice::LoopDevice(const std::string& image) {
  Fd control{::open("/dev/loop-control", O_RDWR | O_CLOEXEC)};
  if (control.fd < 0) throw IoError(errno, "open (for a loop device)", "/dev/loop-control");
  // O_DIRECT on the backing file asks for direct I/O as LO_FLAGS_DIRECT_IO does (losetup
  // sets both); a filesystem that refuses O_DIRECT gets a buffered device instead.
  Fd backing{::open(image.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT)};
  if (backing.fd < 0 && errno == EINVAL) backing.fd = ::open(image.c_str(), O_RDWR | O_CLOEXEC);
  if (backing.fd < 0) throw IoError(errno, "open", image);

  loop_config config{};
  config.fd = static_cast<__u32>(backing.fd);
  config.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR;
  std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
  // Another process may take the free device between the two calls (EBUSY): ask again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int n = ::ioctl(control.fd, LOOP_CTL_GET_FREE);
    if (n < 0) throw IoError(errno, "find a free loop device for", image);
    std::string device = "/dev/loop" + std::to_string(n);
    int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw IoError(errno, "open", device);
    if (::ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
      path_ = device;
      fd_ = fd;
      direct_io_ = reports_direct_io(device);
      return;
    }
    int err = errno;
    ::close(fd);
    if (err == EINVAL && (config.info.lo_flags & LO_FLAGS_DIRECT_IO)) {
      // A kernel that cannot do direct I/O on this file may refuse the flag: go buffered.
      config.info.lo_flags &= ~LO_FLAGS_DIRECT_IO;
      continue;
    }
    if (err != EBUSY) throw IoError(err, "attach " + image + " to", device);
  }
  throw Error("attach " + image + " to a loop device: every free one was taken first");
}

LoopDevice::~LoopDevice() {
  // With autoclear, the last close detaches the device: ours when nothing was mounted on it,
  // or the unmount's.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cas::bench
