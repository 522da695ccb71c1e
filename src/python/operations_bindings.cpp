// Store.migrate/purge/gc/trim/sync/verify/stats: the store-wide operations of
// <cas/operations.hpp>, and their result types. Each runs with the GIL released; the optional
// progress callback is called from the walker's threads, taking the GIL for the call.
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/errors.hpp"
#include "cas/operations.hpp"

namespace cas::python {
namespace {

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

// Relays Progress to a Python callable. An exception raised by the callable cannot stop the
// operation (the engine has no cancellation); it silences later calls and is raised when the
// operation returns.
class ProgressRelay {
 public:
  explicit ProgressRelay(py::object callback) : callback_(std::move(callback)) {}

  ProgressCallback callback() {
    if (callback_.is_none()) return {};
    return [this](const Progress& p) {
      if (failed_.load()) return;
      py::gil_scoped_acquire acquire;
      try {
        callback_(p);
      } catch (...) {
        error_ = std::current_exception();
        failed_.store(true);
      }
    };
  }

  void rethrow() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  py::object callback_;
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

// The keyword arguments every operation takes after its own (OperationOptions).
struct Common {
  unsigned threads;
  bool dry_run;
  py::object progress;
  double progress_interval;
  bool count_first;
};

#define CAS_COMMON_ARGS                                                                 \
  py::kw_only(), py::arg("threads") = 0u, py::arg("dry_run") = false,                   \
                 py::arg("progress") = py::none(), py::arg("progress_interval") = 0.25, \
                 py::arg("count_first") = false

// An operation's docstring: its own text, then the common keywords'.
std::string with_common_doc(const char* doc) {
  return std::string(doc) +
         "\n\nCommon keywords: threads (0: the walker's default), dry_run (report only), "
         "progress (called with a Progress about every progress_interval seconds and at the "
         "end), count_first (count files first so Progress.total is known).";
}

// The method bound for `f(self, own..., const Common&)`: it takes the operation's own
// arguments (types Own...), then the common ones (CAS_COMMON_ARGS), which it gathers into a
// Common for f.
template <typename Self, typename... Own, typename F>
auto with_common(F f) {
  return [f](Self self, Own... own, unsigned threads, bool dry_run, py::object progress,
             double progress_interval, bool count_first) {
    return f(self, own...,
             Common{threads, dry_run, std::move(progress), progress_interval, count_first});
  };
}

// Completes `options` with `common` and returns op(options), called without the GIL; then
// raises a progress callback's exception if there was one.
template <typename Options, typename Op>
auto run(const Common& common, Options options, Op&& op) {
  ProgressRelay relay(common.progress);
  options.threads = common.threads;
  options.dry_run = common.dry_run;
  options.progress = relay.callback();
  options.progress_interval =
      std::chrono::milliseconds(static_cast<long long>(common.progress_interval * 1000));
  options.count_first = common.count_first;
  auto result = [&] {
    py::gil_scoped_release release;
    return op(options);
  }();
  relay.rethrow();
  return result;
}

// Progress, and OperationErrors: the base of the results.
void register_progress(py::module_& m) {
  py::class_<Progress> progress(m, "Progress", "What a progress callback receives.");
  progress.def_readonly("done", &Progress::done)
      .def_readonly("total", &Progress::total)
      .def_readonly("elapsed_seconds", &Progress::elapsed_seconds)
      .def_readonly("rate", &Progress::rate)
      .def_readonly("bytes", &Progress::bytes);
  add_repr(progress, {"done", "total", "elapsed_seconds", "rate", "bytes"});

  py::class_<OperationErrors>(m, "OperationErrors",
                              "failed: files whose operation failed; errors: the first messages.")
      .def_readonly("failed", &OperationErrors::failed)
      .def_property_readonly("errors",
                             [](const OperationErrors& e) { return decode_all(e.errors); });
}

// The results of the operations that change a store: migrate, purge, gc, sync.
void register_change_results(py::module_& m) {
  py::class_<MigrateResult, OperationErrors> migrate(m, "MigrateResult");
  migrate.def_readonly("moved", &MigrateResult::moved)
      .def_readonly("already_in_place", &MigrateResult::already_in_place)
      .def_readonly("duplicates_removed", &MigrateResult::duplicates_removed)
      .def_readonly("unrecognized", &MigrateResult::unrecognized)
      .def_readonly("directories_removed", &MigrateResult::directories_removed);
  add_repr(migrate, {"moved", "already_in_place", "duplicates_removed", "unrecognized",
                     "directories_removed", "failed", "errors"});

  py::class_<PurgeResult, OperationErrors> purge(m, "PurgeResult");
  purge.def_readonly("files_removed", &PurgeResult::files_removed)
      .def_readonly("unrecognized", &PurgeResult::unrecognized)
      .def_readonly("directories_removed", &PurgeResult::directories_removed);
  add_repr(purge, {"files_removed", "unrecognized", "directories_removed", "failed", "errors"});

  py::class_<GcResult, OperationErrors> gc(m, "GcResult");
  gc.def_readonly("kept", &GcResult::kept)
      .def_readonly("removed", &GcResult::removed)
      .def_readonly("unrecognized", &GcResult::unrecognized)
      .def_readonly("directories_removed", &GcResult::directories_removed);
  add_repr(gc, {"kept", "removed", "unrecognized", "directories_removed", "failed", "errors"});

  py::class_<TrimResult, OperationErrors> trim(
      m, "TrimResult",
      "What Store.trim did (with dry_run: would do). scanned_*: content found (pinned included); "
      "removed_*: what went; pinned: files a pin kept; recently_used: files kept because they "
      "were used while the trim ran.");
  trim.def_readonly("scanned_files", &TrimResult::scanned_files)
      .def_readonly("scanned_bytes", &TrimResult::scanned_bytes)
      .def_readonly("removed_files", &TrimResult::removed_files)
      .def_readonly("removed_bytes", &TrimResult::removed_bytes)
      .def_readonly("pinned", &TrimResult::pinned)
      .def_readonly("recently_used", &TrimResult::recently_used)
      .def_readonly("unrecognized", &TrimResult::unrecognized)
      .def_readonly("directories_removed", &TrimResult::directories_removed);
  add_repr(trim, {"scanned_files", "scanned_bytes", "removed_files", "removed_bytes", "pinned",
                  "recently_used", "unrecognized", "directories_removed", "failed", "errors"});

  py::class_<SyncResult, OperationErrors> sync(m, "SyncResult");
  sync.def_readonly("linked", &SyncResult::linked)
      .def_readonly("copied", &SyncResult::copied)
      .def_readonly("already_present", &SyncResult::already_present)
      .def_readonly("deleted", &SyncResult::deleted)
      .def_readonly("unrecognized", &SyncResult::unrecognized)
      .def_readonly("bytes", &SyncResult::bytes);
  add_repr(sync, {"linked", "copied", "already_present", "deleted", "unrecognized", "bytes",
                  "failed", "errors"});
}

// The results of the operations that examine a store: verify, stats.
void register_check_results(py::module_& m) {
  py::class_<VerifyResult, OperationErrors> verify(m, "VerifyResult");
  verify.def_readonly("ok", &VerifyResult::ok)
      .def_readonly("corrupt", &VerifyResult::corrupt)
      .def_readonly("quarantined", &VerifyResult::quarantined)
      .def_readonly("unknown_algorithm", &VerifyResult::unknown_algorithm)
      .def_readonly("unrecognized", &VerifyResult::unrecognized)
      .def_readonly("temp_reaped", &VerifyResult::temp_reaped)
      .def_readonly("bytes", &VerifyResult::bytes)
      .def_property_readonly("corrupt_paths",
                             [](const VerifyResult& r) { return decode_all(r.corrupt_paths); });
  add_repr(verify, {"ok", "corrupt", "quarantined", "unknown_algorithm", "unrecognized",
                    "temp_reaped", "bytes", "corrupt_paths", "failed", "errors"});

  py::class_<LayoutStats> layout_stats(m, "LayoutStats");
  layout_stats.def_readonly("files", &LayoutStats::files)
      .def_readonly("bytes", &LayoutStats::bytes);
  add_repr(layout_stats, {"files", "bytes"});

  py::class_<StoreStats, OperationErrors> stats(m, "StoreStats");
  stats.def_readonly("layouts", &StoreStats::layouts, "dict: layout name -> LayoutStats")
      .def_readonly("hashes", &StoreStats::hashes)
      .def_readonly("unrecognized_files", &StoreStats::unrecognized_files)
      .def_readonly("unrecognized_bytes", &StoreStats::unrecognized_bytes)
      .def_readonly("directories", &StoreStats::directories)
      .def_readonly("empty_directories", &StoreStats::empty_directories)
      .def_readonly("temp_files", &StoreStats::temp_files)
      .def_readonly("temp_bytes", &StoreStats::temp_bytes)
      .def_readonly("quarantined_files", &StoreStats::quarantined_files)
      .def_readonly("pinned_hashes", &StoreStats::pinned_hashes,
                    "Distinct hashes held by unexpired pins (present or not).")
      .def_readonly("oldest_use", &StoreStats::oldest_use,
                    "Oldest last use (mtime) of the content, seconds since the epoch; 0: empty.")
      .def_readonly("median_use", &StoreStats::median_use,
                    "Median last use, seconds since the epoch (exact to the histogram's cell "
                    "width: one second when the uses span less than 18 hours); 0: empty.")
      .def_readonly("newest_use", &StoreStats::newest_use,
                    "Newest last use, seconds since the epoch; 0: empty.");
  add_repr(stats, {"layouts", "hashes", "unrecognized_files", "unrecognized_bytes", "directories",
                   "empty_directories", "temp_files", "temp_bytes", "quarantined_files",
                   "pinned_hashes", "oldest_use", "median_use", "newest_use", "failed", "errors"});
}

MigrateMethod parse_method(std::string_view name) {
  if (name == "link_unlink") return MigrateMethod::link_unlink;
  if (name == "rename") return MigrateMethod::rename;
  throw InvalidArgumentError("invalid migrate method '" + std::string(name) +
                             "' (one of 'link_unlink', 'rename')");
}

// migrate and sync: the operations that move or add files.
void def_moving(StoreClass& store) {
  auto migrate = [](Store& s, std::string_view method, const Common& c) {
    MigrateOptions options;
    options.method = parse_method(method);
    return run(c, options, [&](const MigrateOptions& o) { return cas::migrate(s, o); });
  };
  store.def("migrate", with_common<Store&, std::string_view>(migrate),
            py::arg("method") = "link_unlink", CAS_COMMON_ARGS,
            with_common_doc(
                "Moves every file found under a non-preferred layout to the preferred one "
                "(method 'link_unlink' or 'rename') and removes emptied directories; returns a "
                "MigrateResult. Raises ReadOnlyError (unless dry_run).")
                .c_str());

  auto sync = [](Store& s, const Store& source, bool delete_extras, const Common& c) {
    SyncOptions options;
    options.delete_extras = delete_extras;
    return run(c, options, [&](const SyncOptions& o) { return cas::sync(s, source, o); });
  };
  store.def("sync", with_common<Store&, const Store&, bool>(sync), py::arg("source"),
            py::arg("delete_extras") = false, CAS_COMMON_ARGS,
            with_common_doc(
                "Makes this store hold every hash of source (hard links on one filesystem, "
                "copies otherwise); delete_extras also removes hashes source lacks. Returns a "
                "SyncResult.")
                .c_str());
}

// trim: least-recently-used eviction to size, count and age bounds.
void def_trim(StoreClass& store) {
  using Count = const std::optional<py::int_>&;
  auto trim = [](Store& s, Count max_bytes, Count max_files, std::optional<double> max_age,
                 const py::object& min_free, double low_water, const Common& c) {
    TrimOptions options;
    options.max_bytes = to_count(max_bytes, "max_bytes");
    options.max_files = to_count(max_files, "max_files");
    if (max_age) options.max_age = to_seconds(*max_age, "max_age");
    options.min_free = to_free_space(min_free, "min_free");
    options.low_water = low_water;
    return run(c, options, [&](const TrimOptions& o) { return cas::trim(s, o); });
  };
  store.def(
      "trim",
      with_common<Store&, Count, Count, std::optional<double>, const py::object&, double>(trim),
      py::arg("max_bytes") = py::none(), py::arg("max_files") = py::none(),
      py::arg("max_age") = py::none(), py::arg("min_free") = py::none(), py::arg("low_water") = 0.9,
      CAS_COMMON_ARGS,
      with_common_doc(
          "Removes least-recently-used files (oldest mtime first: see touch_on_use) until the "
          "store is within its bounds: a store over max_bytes (total size) or max_files goes "
          "down to low_water (in (0, 1]) times that bound, and every file last used more than "
          "max_age seconds ago goes; with min_free (bytes, an int, or a fraction of the "
          "filesystem, a float) and less than that available on the store's filesystem, the "
          "oldest go until (2 - low_water) times it is. Pinned hashes (pin) are never removed, "
          "nor files used while "
          "the trim runs. Returns a TrimResult. Raises ValueError without a bound or for a "
          "low_water outside (0, 1], ReadOnlyError (unless dry_run), OSError when a pin cannot "
          "be read.")
          .c_str());
}

// purge and gc: the operations that remove files.
void def_removing(StoreClass& store) {
  auto purge = [](Store& s, bool remove_unrecognized, const Common& c) {
    PurgeOptions options;
    options.remove_unrecognized = remove_unrecognized;
    return run(c, options, [&](const PurgeOptions& o) { return cas::purge(s, o); });
  };
  store.def("purge", with_common<Store&, bool>(purge), py::arg("remove_unrecognized") = false,
            CAS_COMMON_ARGS,
            with_common_doc(
                "Removes all content (and quarantined files), keeping the root, writers' temp "
                "files, pins and every file no layout recognizes (with its directories) unless "
                "remove_unrecognized is true; never follows symlinks or crosses filesystems. "
                "Returns a PurgeResult.")
                .c_str());

  auto gc = [](Store& s, const py::iterable& keep, const Common& c) {
    std::unordered_set<std::string> kept;
    for (py::handle h : keep) kept.insert(h.cast<std::string>());
    return run(c, OperationOptions(),
               [&](const OperationOptions& o) { return cas::gc(s, kept, o); });
  };
  store.def("gc", with_common<Store&, const py::iterable&>(gc), py::arg("keep"), CAS_COMMON_ARGS,
            with_common_doc("Removes every hash not in keep (an iterable of hashes), under every "
                            "layout, except pinned ones; returns a GcResult.")
                .c_str());
  def_trim(store);
}

// verify and stats: the operations that examine a store.
void def_checking(StoreClass& store) {
  auto verify = [](Store& s, std::optional<std::string> algorithm, bool quarantine,
                   double reap_temp_older_than, const Common& c) {
    VerifyOptions options;
    if (algorithm) options.algorithm = parse_hash_algorithm(*algorithm);
    options.quarantine = quarantine;
    options.reap_temp_older_than = to_seconds(reap_temp_older_than, "reap_temp_older_than");
    return run(c, options, [&](const VerifyOptions& o) { return cas::verify(s, o); });
  };
  store.def("verify", with_common<Store&, std::optional<std::string>, bool, double>(verify),
            py::arg("algorithm") = py::none(), py::arg("quarantine") = false,
            py::arg("reap_temp_older_than") = 3600.0, CAS_COMMON_ARGS,
            with_common_doc(
                "Re-hashes every file (algorithm None: from the hash length) and reports "
                "mismatches; quarantine moves them to .cas-quarantine; temp files older than "
                "reap_temp_older_than seconds are removed (0: never). Returns a VerifyResult.")
                .c_str());

  auto stats = [](const Store& s, const Common& c) {
    // As `cas stats`: a root that is not there is no empty store (a typo must not read as zeros).
    struct stat st;
    const std::string root = s.root().string();
    if (::stat(root.c_str(), &st) != 0) throw IoError(errno, "stats", root);
    if (!S_ISDIR(st.st_mode)) throw IoError(ENOTDIR, "stats", root);
    return run(c, OperationOptions(), [&](const OperationOptions& o) { return cas::stats(s, o); });
  };
  store.def("stats", with_common<const Store&>(stats), CAS_COMMON_ARGS,
            with_common_doc("Counts files and bytes per layout, unrecognized files, "
                            "directories, pinned hashes, and the oldest, median and newest last "
                            "use of the content; returns a StoreStats. Read-only. Raises "
                            "FileNotFoundError (NotADirectoryError) when the root is not there "
                            "(is not a directory).")
                .c_str());
}

}  // namespace

void register_operations(py::module_& m) {
  register_progress(m);
  register_change_results(m);
  register_check_results(m);
  auto store = py::reinterpret_borrow<StoreClass>(m.attr("Store"));
  def_moving(store);
  def_removing(store);
  def_checking(store);
}

}  // namespace cas::python
