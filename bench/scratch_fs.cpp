#include "scratch_fs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/filesystem.hpp>

#include "cas/errors.hpp"
#include "loop_device.hpp"

namespace cas::bench {
namespace {

namespace fs = boost::filesystem;

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs argv (PATH search), stdout and stderr captured. Throws cas::Error when it cannot be
// run or exits non-zero, with the command and what it printed.
void run(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe", argv[0]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno(errno, "fork", argv[0]);
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0)
    output.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why =
        WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "not found (install it)" : "failed";
    throw Error("`" + joined(argv) + "` " + why + (output.empty() ? "" : ": " + output));
  }
}

// The scratch filesystem alive now (at most one), for the signal thread to drop if the run is
// interrupted: a benchmark killed by ^C must not leave a mount and a 60 GB image behind.
struct Active {
  std::mutex mu;
  std::string mount_point;
  std::string image;
};

Active& active() {
  static Active a;
  return a;
}

// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread it starts later (the store
// builders), and waits for them on a thread of its own, which unmounts (lazily: builders may
// be inside), deletes the image and exits.
void drop_on_signal() {
  static std::once_flag once;
  std::call_once(once, [] {
    sigset_t set;
    ::sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      int sig = 0;
      ::sigwait(&set, &sig);
      std::lock_guard<std::mutex> lock(active().mu);
      if (!active().mount_point.empty()) {
        ::umount2(active().mount_point.c_str(), MNT_DETACH);
        ::rmdir(active().mount_point.c_str());
        if (!active().image.empty()) ::unlink(active().image.c_str());
        std::cerr << "\ncas-bench: interrupted; unmounted " << active().mount_point
                  << " and removed its image\n";
      }
      ::_exit(128 + sig);
    }).detach();
  });
}

void set_active(const std::string& mount_point, const std::string& image) {
  std::lock_guard<std::mutex> lock(active().mu);
  active().mount_point = mount_point;
  active().image = image;
}

// The mkfs command for an image of `spec.type`, and the mount options that go with it ("" for
// none).
std::pair<std::vector<std::string>, std::string> mkfs_for(const ScratchFsSpec& spec,
                                                          const std::string& image) {
  const std::string inodes = std::to_string(spec.inodes);
  if (spec.type == "ext4" || spec.type == "ext4-journal") {
    bool journal = spec.type == "ext4-journal";
    std::vector<std::string> cmd = {"mkfs.ext4",
                                    "-q",
                                    "-F",
                                    "-I",
                                    "256",
                                    "-O",
                                    journal ? "inline_data" : "^has_journal,inline_data",
                                    "-E",
                                    "lazy_itable_init=1,lazy_journal_init=1,nodiscard"};
    if (spec.inodes) cmd.insert(cmd.end(), {"-N", inodes});
    cmd.push_back(image);
    return {cmd, journal ? "" : "discard"};
  }
  if (spec.type == "xfs") return {{"mkfs.xfs", "-q", "-f", image}, ""};
  if (spec.type == "btrfs") return {{"mkfs.btrfs", "-q", "-f", image}, ""};
  throw Error("--make-fs: unknown filesystem '" + spec.type +
              "' (ext4, ext4-journal, xfs, btrfs or tmpfs)");
}

// Mounts `image` on `mount_point` through a direct-I/O loop device (a buffered one caches every
// block twice and serves reads one at a time). The device goes away when it is unmounted.
void mount_image(const std::string& image, const std::string& options,
                 const std::string& mount_point) {
  LoopDevice loop(image);
  if (!loop.direct_io()) {
    std::cerr << "cas-bench: " << loop.path() << " over " << image
              << " works buffered (its filesystem refused direct I/O): the page cache will hold "
                 "the scratch filesystem's blocks twice\n";
  }
  std::vector<std::string> mount = {"mount"};
  if (!options.empty()) mount.insert(mount.end(), {"-o", options});
  mount.insert(mount.end(), {loop.path(), mount_point});
  run(mount);
}

}  // namespace

const std::vector<std::string>& scratch_fs_types() {
  static const std::vector<std::string> types = {"ext4", "ext4-journal", "xfs", "btrfs", "tmpfs"};
  return types;
}

std::uint64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  double value = std::stod(text, &used);
  std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "K" || unit == "k")
    scale = 1ull << 10;
  else if (unit == "M")
    scale = 1ull << 20;
  else if (unit == "G")
    scale = 1ull << 30;
  else if (unit == "T")
    scale = 1ull << 40;
  else if (!unit.empty())
    throw std::invalid_argument("bad size '" + text + "' (e.g. 200G, 512M)");
  if (value <= 0) throw std::invalid_argument("bad size '" + text + "'");
  return static_cast<std::uint64_t>(value * scale);
}

std::string ScratchFs::describe(const ScratchFsSpec& spec) {
  if (spec.type == "tmpfs") return "tmpfs (`mount -t tmpfs -o size=…,nr_inodes=…`)";
  auto [mkfs, options] = mkfs_for(spec, "IMAGE");
  mkfs.pop_back();
  for (std::size_t i = 0; i + 1 < mkfs.size(); ++i) {
    if (mkfs[i] == "-N") mkfs[i + 1] = "<inodes for the stores>";
  }
  return spec.type + " (`" + joined(mkfs) + "`, `mount" +
         (options.empty() ? "" : " -o " + options) +
         "`) on a direct-I/O loop device over a sparse image in " + spec.image_dir;
}

ScratchFs::ScratchFs(const ScratchFsSpec& spec) {
  if (::geteuid() != 0) throw Error("--make-fs needs root (mkfs and mount)");
  drop_on_signal();
  mount_point_ = (fs::temp_directory_path() / fs::unique_path("cas-scratch-%%%%%%%%")).string();
  if (spec.type != "tmpfs") {
    image_ = (fs::path(spec.image_dir) / fs::unique_path("cas-scratch-%%%%%%%%.img")).string();
  }
  set_active(mount_point_, image_);
  fs::create_directories(mount_point_);
  try {
    if (spec.type == "tmpfs") {
      std::string opts = "size=" + std::to_string(spec.bytes);
      if (spec.inodes) opts += ",nr_inodes=" + std::to_string(spec.inodes);
      run({"mount", "-t", "tmpfs", "-o", opts, "tmpfs", mount_point_});
    } else {
      auto [mkfs, options] = mkfs_for(spec, image_);
      int fd = ::open(image_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) throw_errno(errno, "create", image_);
      int rc = ::ftruncate(fd, static_cast<off_t>(spec.bytes));
      int err = errno;
      ::close(fd);
      if (rc != 0) throw_errno(err, "truncate", image_);
      run(mkfs);
      mount_image(image_, options, mount_point_);
    }
    mounted_ = true;
  } catch (...) {
    release();
    throw;
  }
}

ScratchFs::~ScratchFs() { release(); }

void ScratchFs::release() {
  if (mounted_ && ::umount2(mount_point_.c_str(), 0) != 0) {
    // Busy (a process still inside): detach lazily so the image can still be freed.
    std::cerr << "cas-bench: unmounting " << mount_point_ << ": " << std::strerror(errno)
              << "; detaching lazily\n";
    ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
  mounted_ = false;
  boost::system::error_code ec;
  fs::remove(mount_point_, ec);
  if (!image_.empty()) fs::remove(image_, ec);
  set_active("", "");
}

}  // namespace cas::bench
