// Pins: small text files in root/.cas-pins, written through a temp file and a rename.
#include "cas/pins.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <sstream>

#include <boost/filesystem/operations.hpp>

#include "cas/directory.hpp"
#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"
#include "util/posix_error.hpp"

namespace cas {
namespace {

constexpr std::string_view kMagic = "cas-pin 1";
constexpr std::size_t kMaxNameLength = 200;
constexpr std::int64_t kMaxTtl = 36500LL * 86400;  // 100 years

std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void check_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && name.front() != '.';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    throw InvalidArgumentError("invalid pin name '" + std::string(name) +
                               "': use 1 to 200 of A-Z a-z 0-9 _ . - (not starting with '.')");
  }
}

std::string pins_dir(const Store& store) {
  return (store.root() / std::string(Store::kPinsDirName)).string();
}

void make_dir(const std::string& path) {
  boost::system::error_code ec;
  boost::filesystem::create_directories(path, ec);
  if (ec) throw_errno(ec.value(), "mkdir", path);
}

// Writes `text` to a new file in the temp area, fsynced; returns its path.
std::string write_temp(const Store& store, const std::string& text) {
  static std::atomic<unsigned long> counter{0};
  const std::string dir = (store.root() / std::string(Store::kTempDirName)).string();
  make_dir(dir);
  const std::string path =
      dir + "/tmp-pin-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd) throw_last_error("create", path);
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::unlink(path.c_str());
      throw_errno(err, "write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throw_errno(err, "fsync", path);
  }
  return path;
}

struct PinFile {
  PinInfo info;
  std::vector<std::string> hashes;
};

// Reads the whole file at `path`; nullopt when it is gone (a pin removed meanwhile).
std::optional<std::string> read_all(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_last_error("open", path);
  }
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_last_error("read", path);
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<PinFile> read_pin(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  auto text = read_all(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  PinFile pin;
  pin.info.name = name;
  std::string line, expires;
  if (!std::getline(in, line) || line != kMagic || !std::getline(in, expires) ||
      expires.rfind("expires ", 0) != 0) {
    throw_errno(EBADMSG, "read pin", path);
  }
  expires.erase(0, 8);
  if (expires != "never") {
    try {
      std::size_t used = 0;
      long long seconds = std::stoll(expires, &used);
      if (used != expires.size()) throw InvalidArgumentError(expires);
      pin.info.expires = std::chrono::sys_seconds(std::chrono::seconds(seconds));
      pin.info.expired = *pin.info.expires <= now_seconds();
    } catch (const std::exception&) {
      throw_errno(EBADMSG, "read pin", path);
    }
  }
  while (std::getline(in, line)) {
    if (!is_valid_hash(line)) throw_errno(EBADMSG, "read pin", path);
    pin.hashes.push_back(line);
  }
  pin.info.hashes = pin.hashes.size();
  return pin;
}

// Every pin file's name (pin names never start with '.'); none when there is no pin area.
std::vector<std::string> pin_names(const std::string& dir) {
  std::vector<std::string> names;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return names;
    throw_last_error("stat", dir);
  }
  for (const Entry& e : Directory(dir)) {
    if (e.d_name().front() != '.' && e.d_type() == DT_REG) names.push_back(e.d_name());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void add_pin(Store& store, std::string_view name, const std::vector<std::string>& hashes,
             std::optional<std::chrono::seconds> ttl) {
  check_name(name);
  if (ttl && (ttl->count() < 0 || ttl->count() > kMaxTtl)) {
    throw InvalidArgumentError(
        "pin: a ttl is 0 to 100 years (36500 days); give none for a pin that never expires");
  }
  for (const auto& h : hashes) validate_hash(h, store.layouts().front()->min_hash_length());
  if (store.read_only()) throw ReadOnlyError("pin", std::string(name));
  std::string text = std::string(kMagic) + "\nexpires ";
  if (ttl) {
    text += std::to_string((now_seconds() + *ttl).time_since_epoch().count());
  } else {
    text += "never";
  }
  text += '\n';
  for (const auto& h : hashes) text += h + '\n';
  const std::string dir = pins_dir(store);
  make_dir(dir);
  const std::string temp = write_temp(store, text);
  const std::string target = dir + "/" + std::string(name);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw_errno(err, "rename", target);
  }
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());  // the name survives a power loss (best effort, as full)
}

bool remove_pin(Store& store, std::string_view name) {
  check_name(name);
  if (store.read_only()) throw ReadOnlyError("unpin", std::string(name));
  const std::string path = pins_dir(store) + "/" + std::string(name);
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_last_error("unlink", path);
}

std::vector<PinInfo> list_pins(const Store& store) {
  const std::string dir = pins_dir(store);
  std::vector<PinInfo> out;
  for (const auto& name : pin_names(dir)) {
    if (auto pin = read_pin(dir, name)) out.push_back(pin->info);
  }
  return out;
}

std::unordered_set<std::string> pinned_hashes(const Store& store) {
  const std::string dir = pins_dir(store);
  std::unordered_set<std::string> out;
  for (const auto& name : pin_names(dir)) {
    auto pin = read_pin(dir, name);
    if (pin && !pin->info.expired) out.insert(pin->hashes.begin(), pin->hashes.end());
  }
  return out;
}

}  // namespace cas
