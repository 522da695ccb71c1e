#include "checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "buckets.hpp"

namespace cas::mpi {
namespace {

// "<operation> <path>: <reason>", the order of every message of cas (cas/errors.hpp).
std::runtime_error failure(const std::string& path, const std::string& operation, int code) {
  return std::runtime_error(operation + " " + path + ": " + std::strerror(code));
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

// The split a checkpoint's first line gives and the job it names after it, or nullopt when
// the line is no checkpoint header. Format 1 (before buckets were split) is split 1.
std::optional<std::pair<unsigned, std::string>> parse_header(const std::string& line) {
  const std::string v1 = "cas-mpi checkpoint 1 ", v2 = "cas-mpi checkpoint 2 split=";
  if (line.starts_with(v1)) return std::pair<unsigned, std::string>{1, line.substr(v1.size())};
  if (!line.starts_with(v2)) return std::nullopt;
  std::size_t end = 0;
  unsigned long split = 0;
  try {
    split = std::stoul(line.substr(v2.size()), &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::size_t job = v2.size() + end;
  if (!valid_split(static_cast<unsigned>(split)) || job >= line.size() || line[job] != ' ') {
    return std::nullopt;
  }
  return std::pair<unsigned, std::string>{static_cast<unsigned>(split), line.substr(job + 1)};
}

}  // namespace

Checkpoint::Checkpoint(std::string path, const std::string& job, unsigned split, DataSync data_sync)
    : path_(std::move(path)), data_sync_(std::move(data_sync)) {
  file_ = UniqueFile(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (file_.get() < 0) throw failure(path_, "open", errno);
  const std::string text = read_all(file_.get(), path_);
  if (text.empty()) {
    set_split(split);
    write_all(file_.get(), path_,
              "cas-mpi checkpoint 2 split=" + std::to_string(split) + " " + job + "\n");
    if (::fsync(file_.get()) != 0) throw failure(path_, "fsync", errno);
    return;
  }
  load(text, job);
}

void Checkpoint::load(const std::string& text, const std::string& job) {
  std::size_t end = text.find('\n');
  const auto header = parse_header(text.substr(0, end));
  if (end == std::string::npos || !header) {
    throw std::runtime_error(path_ +
                             ": not a checkpoint of this version of cas-mpi (its first "
                             "line is not 'cas-mpi checkpoint 1 ...' or 'cas-mpi checkpoint 2 "
                             "split=N ...'); give a new file");
  }
  if (header->second != job) {
    throw std::runtime_error(path_ + ": a checkpoint of another job (it names '" + header->second +
                             "', this job is '" + job + "'); give a new file");
  }
  // The buckets recorded are those of the split the job began with, whatever this run's ranks.
  set_split(header->first);
  // Only complete lines count: the last may have been cut short by the kill.
  for (std::size_t start = end + 1; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    std::istringstream line(text.substr(start, end - start));
    std::string name;
    line >> name;
    const auto bucket = bucket_by_name(name);
    std::vector<std::uint64_t> counts;
    for (std::uint64_t v; line >> v;) counts.push_back(v);
    if (!bucket || !line.eof()) {
      throw std::runtime_error(path_ + ": damaged line '" + text.substr(start, end - start) + "'");
    }
    done_[*bucket] = std::move(counts);
  }
}

void Checkpoint::record(std::size_t bucket, const std::vector<std::uint64_t>& counts) {
  std::string line = bucket_name(bucket);
  for (auto v : counts) line += ' ' + std::to_string(v);
  write_all(file_.get(), path_, line + '\n');
  // fdatasync (the default DataSync): the appended bytes and the file's new size; nothing else
  // needs to be durable.
  if (data_sync_(file_.get()) != 0) throw failure(path_, "fdatasync", errno);
  done_[bucket] = counts;
}

}  // namespace cas::mpi
