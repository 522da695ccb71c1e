// pfind: a parallel find. Prints `<inode>\t<path>` for every non-directory under each PATH,
// reading many directories at once (cas::Walker). See --help.
//
// Output is buffered per worker and written in whole records, so records from different
// workers never interleave; their order is unspecified unless --sort.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cas/errors.hpp"
#include "cas/walker.hpp"
#include "tool_cli.hpp"

namespace {

constexpr const char* kDescription =
    "Print `<inode>\\t<path>` for every non-directory under each PATH (default \".\"),\n"
    "reading many directories in parallel. Paths are PATH joined with the relative path,\n"
    "as find prints them. Output order is unspecified unless --sort.";
constexpr const char* kExitStatus =
    "Exit status: 0 if every entry was read, 1 if some could not be (each reported on\n"
    "stderr as `pfind: <path>: <reason>`), 2 for usage errors.";

struct Options {
  unsigned threads = 0;
  char terminator = '\n';
  unsigned type_mask = 0;  // bit per DT_* value; 0 means "every non-directory"
  int max_depth = -1;
  bool xdev = false;
  bool follow = false;
  std::optional<std::string> name_glob;
  bool sort = false;
  bool count = false;
  bool inode_order = true;
  std::vector<std::string> paths;
};

// The DT_* bits of a --type value ("f", "f,l"), or nothing when a letter is unknown.
std::optional<unsigned> parse_types(const std::string& text) {
  static constexpr std::pair<char, unsigned char> kTypes[] = {
      {'f', DT_REG}, {'l', DT_LNK}, {'p', DT_FIFO}, {'s', DT_SOCK},
      {'b', DT_BLK}, {'c', DT_CHR}, {'d', DT_DIR}};
  unsigned mask = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string_view t = std::string_view(text).substr(start, comma - start);
    auto type = std::find_if(std::begin(kTypes), std::end(kTypes), [&](const auto& entry) {
      return t.size() == 1 && t[0] == entry.first;
    });
    if (type == std::end(kTypes)) return std::nullopt;
    mask |= 1u << type->second;
    if (comma == std::string::npos) return mask;
    start = comma + 1;
  }
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("-j,--threads", o.threads,
                 "worker threads (default: CAS_WALK_THREADS or the built-in default)")
      ->type_name("N")
      ->check(cas::tool::decimal_check())
      ->check(CLI::Range(1u, 1024u).description(""))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag_callback(
      "-0", [&o] { o.terminator = '\0'; }, "end records with NUL instead of newline");
  app.add_option_function<std::vector<std::string>>(
         "--type",
         [&o](const std::vector<std::string>& types) {
           for (const auto& t : types) o.type_mask |= *parse_types(t);
         },
         "only entries of type T: f (file), l (symlink), p (fifo), s (socket), b (block "
         "device), c (char device), d (directory, PATH included); several may be given, "
         "comma-separated (f,l)")
      ->type_name("T")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& t) {
            return parse_types(t) ? std::string()
                                  : "invalid type '" + t + "' (one of f,l,p,s,b,c,d)";
          },
          ""));
  app.add_option("--maxdepth", o.max_depth,
                 "descend at most N levels below PATH (as find -maxdepth)")
      ->type_name("N")
      ->check(cas::tool::decimal_check())
      ->check(CLI::Range(0, 1 << 20).description(""))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--xdev", o.xdev, "do not descend into directories on other filesystems")
      ->disable_flag_override();
  app.add_flag("-L,--follow", o.follow, "follow symbolic links (loops are reported)")
      ->disable_flag_override();
  app.add_option_function<std::string>(
         "--name", [&o](const std::string& glob) { o.name_glob = glob; },
         "only entries whose name matches GLOB (fnmatch, as find -name)")
      ->type_name("GLOB")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--sort", o.sort, "print records sorted by path (holds them all in memory)")
      ->disable_flag_override();
  app.add_flag("--count", o.count, "print only the number of matching entries")
      ->disable_flag_override();
  app.add_flag_callback(
         "--no-inode-order", [&o] { o.inode_order = false; },
         "read subdirectories in readdir order, not inode order")
      ->disable_flag_override();
  app.add_option("PATH", o.paths, "where to start (default \".\")")->type_name("");
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      // stdout is gone (EPIPE with SIGPIPE ignored, disk full): nothing more can be printed.
      std::string msg = std::string("pfind: write error: ") + std::strerror(errno) + "\n";
      (void)!::write(2, msg.data(), msg.size());
      std::_Exit(1);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Records are appended to a per-worker buffer and written whole; one write() per 64 KiB flush,
// under a lock so flushes from different workers do not interleave on a pipe.
class Output {
 public:
  Output(const Options& o) : options_(o) {}

  void set_workers(unsigned n) {
    if (buffers_.size() < n) buffers_.resize(n);
  }

  void add(unsigned worker, ino_t ino, std::string_view root, std::string_view rel) {
    if (options_.count) {
      ++buffers_[worker].count;
      return;
    }
    std::string& b = buffers_[worker].text;
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, ino);
    (void)ec;
    b.append(digits, end);
    b.push_back('\t');
    b.append(root);
    if (!rel.empty()) {
      if (root.empty() || root.back() != '/') b.push_back('/');
      b.append(rel);
    }
    b.push_back(options_.terminator);
    if (options_.sort) {
      buffers_[worker].record_ends.push_back(b.size());
    } else if (b.size() >= kFlushSize) {
      flush(buffers_[worker]);
    }
  }

  void finish() {
    if (options_.count) {
      std::uint64_t total = 0;
      for (auto& b : buffers_) total += b.count;
      std::string line = std::to_string(total) + "\n";
      write_all(1, line.data(), line.size());
      return;
    }
    if (!options_.sort) {
      for (auto& b : buffers_) flush(b);
      return;
    }
    // Sort by path bytes; a record is "<ino>\t<path><terminator>".
    std::vector<std::string_view> records;
    for (auto& b : buffers_) {
      std::size_t start = 0;
      for (std::size_t end : b.record_ends) {
        records.emplace_back(b.text.data() + start, end - start);
        start = end;
      }
    }
    auto path_of = [](std::string_view r) { return r.substr(r.find('\t') + 1); };
    std::sort(records.begin(), records.end(),
              [&](std::string_view a, std::string_view b) { return path_of(a) < path_of(b); });
    std::string out;
    for (auto r : records) {
      out.append(r);
      if (out.size() >= kFlushSize) {
        write_all(1, out.data(), out.size());
        out.clear();
      }
    }
    write_all(1, out.data(), out.size());
  }

 private:
  static constexpr std::size_t kFlushSize = 64 * 1024;
  struct alignas(64) Buffer {
    std::string text;
    std::vector<std::size_t> record_ends;  // with --sort
    std::uint64_t count = 0;
  };

  void flush(Buffer& b) {
    if (b.text.empty()) return;
    {
      std::lock_guard lock(mu_);
      write_all(1, b.text.data(), b.text.size());
    }
    b.text.clear();
  }

  const Options& options_;
  std::mutex mu_;
  std::vector<Buffer> buffers_;
};

void report_error(const std::string& path, int code) {
  std::string msg = "pfind: " + path + ": " + std::strerror(code) + "\n";
  (void)!::write(2, msg.data(), msg.size());
}

bool wanted_type(const Options& o, unsigned char type) {
  if (o.type_mask == 0) return type != DT_DIR;
  return (o.type_mask >> type) & 1u;
}

bool wanted_name(const Options& o, std::string_view name) {
  return !o.name_glob || ::fnmatch(o.name_glob->c_str(), std::string(name).c_str(), 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app(kDescription, "pfind");
  app.footer(kExitStatus);
  cas::tool::add_version_flag(app);
  add_options(app, options);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  if (options.paths.empty()) options.paths.emplace_back(".");
  std::atomic<bool> had_error{false};

  cas::WalkOptions wo;
  wo.threads = options.threads;
  wo.max_depth = options.max_depth;
  wo.xdev = options.xdev;
  wo.follow_symlinks = options.follow;
  wo.inode_order = options.inode_order;
  wo.report_directories = (options.type_mask >> DT_DIR) & 1u;
  wo.on_error = [&](const cas::WalkError& e) {
    had_error.store(true, std::memory_order_relaxed);
    report_error(e.path, e.code);
    return cas::ErrorAction::proceed;
  };
  cas::Walker walker(wo);
  Output out(options);
  out.set_workers(walker.threads());

  for (const std::string& path : options.paths) {
    // The starting point itself: a non-directory is printed as find prints it; a directory is
    // printed only for --type d, then walked.
    struct stat st;
    int rc = options.follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0 && options.follow && errno == ENOENT) rc = ::lstat(path.c_str(), &st);
    if (rc != 0) {
      report_error(path, errno);
      had_error = true;
      continue;
    }
    unsigned char type = IFTODT(st.st_mode);
    std::string_view base = path;
    if (auto slash = base.find_last_of('/');
        slash != std::string_view::npos && slash + 1 < base.size()) {
      base = base.substr(slash + 1);
    }
    if (wanted_type(options, type) && wanted_name(options, base)) out.add(0, st.st_ino, path, "");
    if (type != DT_DIR) continue;
    try {
      walker.walk(path, [&](const cas::WalkEntry& e) {
        if (wanted_type(options, e.type) && wanted_name(options, e.name)) {
          out.add(e.worker, e.ino, path, e.rel_path);
        }
        return cas::WalkAction::proceed;
      });
    } catch (const cas::IoError& e) {
      report_error(path, e.code());
      had_error = true;
    }
  }
  out.finish();
  return had_error ? 1 : 0;
}
