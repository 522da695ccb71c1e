#include "store/store_engine.hpp"

#include "store/scope.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "cas/errors.hpp"

namespace cas::detail {
namespace {

// Whether a top-level directory is one of the store's hidden areas (never content).
bool is_reserved_top(const WalkEntry& e) {
  return e.depth == 1 && e.name.starts_with(Store::kReservedPrefix);
}

// Whether an entry read at depth 1 or 2 is in the run at all, by the options' scope
// (scope.hpp; a WalkOptions::filter: decided before the entry is stat'ed).
bool in_run(const OperationOptions& options, const WalkEntry& e) {
  if (e.depth == 1) return in_scope(options, e.name);
  if (e.depth != 2) return true;
  return in_sub_scope(options, std::string_view(e.rel_path).substr(0, e.rel_path.find('/')),
                      e.name);
}

// The WalkOptions::filter of a run: entries out of scope are neither stat'ed, visited nor
// entered; those left out directly inside a top-level directory are told to `left_out` (stats
// learns from them that the directory is not empty).
std::function<bool(const WalkEntry&)> scope_filter(const OperationOptions& options,
                                                   std::function<void(const WalkEntry&)> left_out) {
  return [&options, left_out](const WalkEntry& e) {
    if (in_run(options, e)) return true;
    if (e.depth == 2 && left_out) left_out(e);
    return false;
  };
}

// A top-level entry in scope that another run handles (its sub-scope says so): a directory is
// entered for its covered entries, anything else is left alone.
bool handled_elsewhere(const OperationOptions& options, const WalkEntry& e) {
  return e.depth == 1 && !in_sub_scope(options, e.name, {});
}

}  // namespace

Area area_of(std::string_view rel_path) {
  if (!rel_path.starts_with(Store::kReservedPrefix)) return Area::content;
  std::string_view top = rel_path.substr(0, rel_path.find('/'));
  if (top == Store::kTempDirName) return Area::temp;
  if (top == Store::kQuarantineDirName) return Area::quarantine;
  return Area::other_reserved;
}

int make_parents_at(int root_fd, std::string_view rel_path) {
  std::string path(rel_path);
  for (std::size_t pos = path.find('/'); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    path[pos] = '\0';
    int r = ::mkdirat(root_fd, path.c_str(), 0777);
    int err = r == 0 ? 0 : errno;
    path[pos] = '/';
    if (err != 0 && err != EEXIST) return err;
  }
  return 0;
}

timespec start_instant() {
  timespec start, coarse;
  ::clock_gettime(CLOCK_REALTIME, &start);
  // The coarse clock moves once per tick (1 to 10 ms): sleep rather than spin until it does, so
  // that many runs in a row (cas-mpi runs one per work unit) do not burn a core each.
  for (;;) {
    ::clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
    if (later_than(coarse, start)) return start;
    const timespec nap{0, 200'000};
    ::nanosleep(&nap, nullptr);
  }
}

int remove_directory(const WalkEntry& e) {
  return ::unlinkat(e.parent_fd, std::string(e.name).c_str(), AT_REMOVEDIR) == 0 ? 0 : errno;
}

bool unlink_file(StoreEngine& engine, const WalkEntry& e) {
  if (::unlinkat(e.parent_fd, std::string(e.name).c_str(), 0) == 0 || errno == ENOENT) return true;
  engine.fail(e.rel_path, "unlink", errno);
  return false;
}

StoreEngine::StoreEngine(const Store& store, const OperationOptions& options)
    : store_(store), options_(options) {}

std::string StoreEngine::absolute(std::string_view rel_path) const {
  std::string out = store_.root().string();
  if (!rel_path.empty()) {
    if (out.empty() || out.back() != '/') out += '/';
    out.append(rel_path);
  }
  return out;
}

void StoreEngine::fail(std::string_view rel_path, const std::string& operation, int code) {
  fail_message(operation + " " + absolute(rel_path) + ": " + std::strerror(code));
}

void StoreEngine::fail(std::string_view rel_path, const std::string& reason) {
  fail_message(absolute(rel_path) + ": " + reason);
}

void StoreEngine::fail_message(std::string message) {
  std::lock_guard<std::mutex> lock(errors_mu_);
  errors_.add(std::move(message));
}

void StoreEngine::take_errors(OperationErrors& out) {
  std::lock_guard<std::mutex> lock(errors_mu_);
  out.merge(errors_);
  errors_ = {};
}

void StoreEngine::report(bool final) {
  if (!options_.progress) return;
  // One call at a time; a worker that finds the lock taken simply skips this report.
  std::unique_lock<std::mutex> lock(report_mu_, std::defer_lock);
  if (final) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;
  }
  Progress p;
  p.done = done_.load(std::memory_order_relaxed);
  p.total = total_;
  p.bytes = bytes_.load(std::memory_order_relaxed);
  p.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  p.rate = p.elapsed_seconds > 0 ? static_cast<double>(p.done) / p.elapsed_seconds : 0;
  options_.progress(p);
}

void StoreEngine::tick() {
  done_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.progress) return;
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  auto due = next_report_ns_.load(std::memory_order_relaxed);
  if (now_ns < due) return;
  auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.progress_interval);
  if (next_report_ns_.compare_exchange_strong(due, now_ns + interval.count())) report(false);
}

void StoreEngine::count_files() {
  WalkOptions wo;
  wo.threads = options_.threads;
  wo.xdev = one_file_system;
  wo.report_directories = true;
  wo.filter = scope_filter(options_, nullptr);
  Walker walker(wo);
  std::atomic<std::uint64_t> files{0};
  struct stat st;
  if (::lstat(store_.root().c_str(), &st) == 0) {
    walker.walk(store_.root(), [&](const WalkEntry& e) {
      if (is_reserved_top(e)) return WalkAction::skip;
      if (handled_elsewhere(options_, e)) {
        return e.type == DT_DIR ? WalkAction::proceed : WalkAction::skip;
      }
      if (e.type != DT_DIR && area_of(e.rel_path) == Area::content) {
        files.fetch_add(1, std::memory_order_relaxed);
      }
      return WalkAction::proceed;
    });
  }
  total_ = files.load();
}

void StoreEngine::run() {
  start_ = std::chrono::steady_clock::now();
  if (options_.count_first && options_.progress) count_files();

  const auto& layouts = store_.layouts();
  WalkOptions wo;
  wo.threads = options_.threads;
  wo.xdev = one_file_system;
  wo.stat_entries = stat_entries;
  wo.report_directories = true;
  wo.prune = [&](const WalkEntry& e) {
    if (!is_reserved_top(e)) return false;
    Area a = area_of(e.rel_path);
    return !((a == Area::temp && on_temp_file) || (a == Area::quarantine && on_quarantine_file));
  };
  wo.on_error = [&](const WalkError& err) {
    if (on_walk_error) {
      on_walk_error(err);
      return ErrorAction::proceed;
    }
    std::string root = store_.root().string();
    std::string rel = err.path.size() > root.size() ? err.path.substr(root.size() + 1) : "";
    fail(rel, err.operation, err.code);
    return ErrorAction::proceed;
  };
  if (on_directory_exit) {
    wo.on_directory_exit = [&](const WalkEntry& e) {
      if (area_of(e.rel_path) == Area::content) on_directory_exit(e);
    };
  }
  wo.filter = scope_filter(options_, on_out_of_scope);
  Walker walker(wo);
  auto visit = [&](const WalkEntry& e) {
    if (handled_elsewhere(options_, e)) {
      return e.type == DT_DIR ? WalkAction::proceed : WalkAction::skip;
    }
    Area area = area_of(e.rel_path);
    if (e.type == DT_DIR) {
      if (area == Area::content && on_directory) on_directory(e);
      return WalkAction::proceed;
    }
    switch (area) {
      case Area::temp:
        if (on_temp_file) on_temp_file(e);
        return WalkAction::proceed;
      case Area::quarantine:
        if (on_quarantine_file) on_quarantine_file(e);
        return WalkAction::proceed;
      case Area::other_reserved:
        return WalkAction::proceed;
      case Area::content:
        break;
    }
    StoreFile file{e, nullptr, 0, {}};
    if (e.type == DT_REG) {
      for (std::size_t i = 0; i < layouts.size(); ++i) {
        if (auto hash = layouts[i]->hash_at(e.rel_path, e.name); !hash.empty()) {
          file.layout = layouts[i].get();
          file.layout_index = i;
          file.hash = hash;
          break;
        }
      }
    }
    if (on_file) on_file(file);
    tick();
    return WalkAction::proceed;
  };
  // A missing root is an empty store; anything else about the root is the caller's error.
  struct stat st;
  if (::lstat(store_.root().c_str(), &st) != 0 && errno == ENOENT) {
    report(true);
    return;
  }
  walker.walk(store_.root(), visit);
  report(true);
}

}  // namespace cas::detail
