#include "test_util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cas/hash.hpp"

namespace cas::test {

std::string sha256(const std::string& content) {
  return hash_bytes(content, HashAlgorithm::sha256);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::map<std::string, std::string> parse_summary(const std::string& line) {
  std::map<std::string, std::string> fields;
  auto colon = line.find(": ");
  if (colon == std::string::npos) return fields;
  fields[""] = line.substr(0, colon);
  std::istringstream in(line.substr(colon + 2));
  for (std::string token; in >> token;) {
    auto eq = token.find('=');
    if (eq == std::string::npos) return {};
    fields[token.substr(0, eq)] = token.substr(eq + 1);
  }
  return fields;
}

void set_mtime(const boost::filesystem::path& p, std::time_t t) {
  struct timespec times[2] = {{t, 0}, {t, 0}};
  if (::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::runtime_error("utimensat " + p.string() + " failed");
  }
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/cas-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + " failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  boost::system::error_code ec;
  // Tests may leave read-only directories behind; make them writable so removal succeeds.
  for (boost::filesystem::recursive_directory_iterator it(path_, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->symlink_status(ec).type() == boost::filesystem::directory_file) {
      boost::filesystem::permissions(it->path(), boost::filesystem::owner_all, ec);
    }
  }
  boost::filesystem::remove_all(path_, ec);
}

void write_file(const boost::filesystem::path& p, const std::string& content) {
  if (p.has_parent_path()) boost::filesystem::create_directories(p.parent_path());
  std::ofstream out(p.string(), std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const boost::filesystem::path& p) {
  std::ifstream in(p.string(), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult run(const std::vector<std::string>& argv, const std::string& input) {
  // A child that exits before reading all of `input` must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult r;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out_pipe[0], POLLIN, 0};
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (::poll(fds, n, -1) < 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = ::write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out_pipe[0];
      if (got <= 0) {
        (is_out ? out_open : err_open) = false;
      } else {
        (is_out ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool is_root() { return ::geteuid() == 0; }

Tmpfs::Tmpfs(const boost::filesystem::path& where, const std::string& size) : path_(where) {
  boost::filesystem::create_directories(where);
  const std::string options = "size=" + size;
  ok_ = ::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

Tmpfs::~Tmpfs() {
  if (ok_) ::umount2(path_.c_str(), MNT_DETACH);
}

void copy_tree(const boost::filesystem::path& from, const boost::filesystem::path& to) {
  namespace fs = boost::filesystem;
  fs::create_directories(to);
  for (fs::recursive_directory_iterator it(from), end; it != end; ++it) {
    const fs::path target = to / it->path().lexically_relative(from);
    if (fs::is_directory(it->symlink_status())) {
      fs::create_directories(target);
    } else {
      fs::copy_file(it->path(), target);
      fs::last_write_time(target, fs::last_write_time(it->path()));
    }
  }
}

}  // namespace cas::test
