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
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cas/errors.hpp"
#include "cas/walker.hpp"

namespace {

constexpr const char* kVersion = "pfind (cas) 0.1.0";
constexpr const char* kUsage =
    "Usage: pfind [OPTION]... [PATH]...\n"
    "Print `<inode>\\t<path>` for every non-directory under each PATH (default \".\"),\n"
    "reading many directories in parallel. Paths are PATH joined with the relative path,\n"
    "as find prints them. Output order is unspecified unless --sort.\n"
    "\n"
    "  -j, --threads N    worker threads (default: CAS_WALK_THREADS or the built-in default)\n"
    "  -0                 end records with NUL instead of newline\n"
    "      --type T       only entries of type T: f (file), l (symlink), p (fifo), s (socket),\n"
    "                     b (block device), c (char device), d (directory, PATH included);\n"
    "                     several may be given, comma-separated (f,l)\n"
    "      --maxdepth N   descend at most N levels below PATH (as find -maxdepth)\n"
    "      --xdev         do not descend into directories on other filesystems\n"
    "  -L, --follow       follow symbolic links (loops are reported)\n"
    "      --name GLOB    only entries whose name matches GLOB (fnmatch, as find -name)\n"
    "      --sort         print records sorted by path (holds them all in memory)\n"
    "      --count        print only the number of matching entries\n"
    "      --no-inode-order  read subdirectories in readdir order, not inode order\n"
    "  -h, --help         show this help and exit\n"
    "      --version      show the version and exit\n"
    "\n"
    "Exit status: 0 if every entry was read, 1 if some could not be (each reported on\n"
    "stderr as `pfind: <path>: <reason>`), 2 for usage errors.\n";

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

[[noreturn]] void usage_error(const std::string& message) {
  std::string text = "pfind: " + message + "\nTry 'pfind --help' for more information.\n";
  (void)!::write(2, text.data(), text.size());
  std::exit(2);
}

bool parse_number(std::string_view text, long max, long& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end && out >= 0 && out <= max;
}

unsigned parse_types(const std::string& text) {
  unsigned mask = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string t = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (t.size() != 1) usage_error("invalid --type '" + text + "' (one of f,l,p,s,b,c,d)");
    switch (t[0]) {
      case 'f':
        mask |= 1u << DT_REG;
        break;
      case 'l':
        mask |= 1u << DT_LNK;
        break;
      case 'p':
        mask |= 1u << DT_FIFO;
        break;
      case 's':
        mask |= 1u << DT_SOCK;
        break;
      case 'b':
        mask |= 1u << DT_BLK;
        break;
      case 'c':
        mask |= 1u << DT_CHR;
        break;
      case 'd':
        mask |= 1u << DT_DIR;
        break;
      default:
        usage_error("invalid --type '" + text + "' (one of f,l,p,s,b,c,d)");
    }
    if (comma == std::string::npos) return mask;
    start = comma + 1;
  }
}

Options parse(int argc, char** argv) {
  Options o;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      o.paths.emplace_back(arg);
      continue;
    }
    // --opt=value is accepted as well as --opt value.
    std::string_view value;
    bool has_inline_value = false;
    if (arg.substr(0, 2) == "--") {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline_value = true;
      }
    }
    auto take_value = [&]() -> std::string {
      if (has_inline_value) return std::string(value);
      if (i + 1 >= argc) usage_error("option '" + std::string(arg) + "' requires an argument");
      return argv[++i];
    };
    auto no_value = [&] {
      if (has_inline_value) usage_error("option '" + std::string(arg) + "' takes no argument");
    };
    long n = 0;
    if (arg == "--") {
      options_done = true;
    } else if (arg == "-j" || arg == "--threads") {
      std::string v = take_value();
      if (!parse_number(v, 1024, n) || n == 0) usage_error("invalid thread count '" + v + "'");
      o.threads = static_cast<unsigned>(n);
    } else if (arg.substr(0, 2) == "-j" && arg.size() > 2 && arg[1] != '-') {
      if (!parse_number(arg.substr(2), 1024, n) || n == 0) {
        usage_error("invalid thread count '" + std::string(arg.substr(2)) + "'");
      }
      o.threads = static_cast<unsigned>(n);
    } else if (arg == "-0") {
      o.terminator = '\0';
    } else if (arg == "--type") {
      o.type_mask |= parse_types(take_value());
    } else if (arg == "--maxdepth") {
      std::string v = take_value();
      if (!parse_number(v, 1 << 20, n)) usage_error("invalid --maxdepth '" + v + "'");
      o.max_depth = static_cast<int>(n);
    } else if (arg == "--xdev") {
      no_value();
      o.xdev = true;
    } else if (arg == "-L" || arg == "--follow") {
      no_value();
      o.follow = true;
    } else if (arg == "--name") {
      o.name_glob = take_value();
    } else if (arg == "--sort") {
      no_value();
      o.sort = true;
    } else if (arg == "--count") {
      no_value();
      o.count = true;
    } else if (arg == "--no-inode-order") {
      no_value();
      o.inode_order = false;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::puts(kVersion);
      std::exit(0);
    } else {
      usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (o.paths.empty()) o.paths.emplace_back(".");
  return o;
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
  Options options = parse(argc, argv);
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
