#include "checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "buckets.hpp"

namespace cas::mpi {
namespace {

std::runtime_error failure(const std::string& path, const std::string& what, int code) {
  return std::runtime_error(path + ": " + what + ": " + std::strerror(code));
}

void write_all(int fd, const std::string& path, const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure(path, "write", errno);
    off += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd, const std::string& path) {
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure(path, "read", errno);
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
  }
}

// The bucket index of a checkpoint's bucket name, or kBuckets when it is none.
std::size_t bucket_by_name(const std::string& name) {
  for (std::size_t b = 0; b < kBuckets; ++b) {
    if (bucket_name(b) == name) return b;
  }
  return kBuckets;
}

}  // namespace

Checkpoint::Checkpoint(std::string path, const std::string& job) : path_(std::move(path)) {
  file_ = UniqueFile(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (file_.get() < 0) throw failure(path_, "open", errno);
  const std::string header = "cas-mpi checkpoint 1 " + job;
  const std::string text = read_all(file_.get(), path_);
  if (text.empty()) {
    write_all(file_.get(), path_, header + "\n");
    if (::fsync(file_.get()) != 0) throw failure(path_, "fsync", errno);
    return;
  }
  load(text, header);
}

void Checkpoint::load(const std::string& text, const std::string& header) {
  std::size_t end = text.find('\n');
  if (end == std::string::npos || text.compare(0, end, header) != 0) {
    throw std::runtime_error(path_ + ": a checkpoint of another job (its first line is not '" +
                             header + "'); give a new file");
  }
  // Only complete lines count: the last may have been cut short by the kill.
  for (std::size_t start = end + 1; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    std::istringstream line(text.substr(start, end - start));
    std::string name;
    line >> name;
    const std::size_t bucket = bucket_by_name(name);
    std::vector<std::uint64_t> counts;
    for (std::uint64_t v; line >> v;) counts.push_back(v);
    if (bucket == kBuckets || !line.eof()) {
      throw std::runtime_error(path_ + ": damaged line '" + text.substr(start, end - start) + "'");
    }
    done_[bucket] = std::move(counts);
  }
}

void Checkpoint::record(std::size_t bucket, const std::vector<std::uint64_t>& counts) {
  std::string line = bucket_name(bucket);
  for (auto v : counts) line += ' ' + std::to_string(v);
  write_all(file_.get(), path_, line + '\n');
  // fdatasync: the appended bytes and the file's new size; nothing else needs to be durable.
  if (::fdatasync(file_.get()) != 0) throw failure(path_, "fdatasync", errno);
  done_[bucket] = counts;
}

}  // namespace cas::mpi
