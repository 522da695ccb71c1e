// directory.Store: cas::Store's file operations (lookup, open, insert, copy, put, remove, walk).
// The store-wide operations (migrate, purge, ...) are added in operations_bindings.cpp.
// Every call that touches the disk runs with the GIL released; a Store is thread-safe.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/errors.hpp"
#include "cas/store.hpp"

namespace cas::python {
namespace {

Durability parse_durability(std::string_view name) {
  if (name == "none") return Durability::none;
  if (name == "file") return Durability::file;
  if (name == "full") return Durability::full;
  if (name == "batch") return Durability::batch;
  throw InvalidArgumentError("invalid durability '" + std::string(name) +
                             "' (one of 'none', 'file', 'full', 'batch')");
}

// layouts=None (the default [v1, v0]), a comma-separated str ('v1,v0'), or a sequence of
// Layout objects and names.
std::vector<std::shared_ptr<const Layout>> parse_layouts(const py::object& layouts) {
  if (layouts.is_none()) return default_layouts();
  if (py::isinstance<py::str>(layouts)) return layouts_by_names(layouts.cast<std::string>());
  std::vector<std::shared_ptr<const Layout>> out;
  for (py::handle item : layouts) {
    if (py::isinstance<py::str>(item)) {
      out.push_back(layout_by_name(item.cast<std::string>()));
    } else {
      out.push_back(item.cast<std::shared_ptr<Layout>>());
    }
  }
  if (out.empty()) throw InvalidArgumentError("layouts must not be empty");
  return out;
}

// The constructor's cache-policy keywords: touch_on_use and the automatic limits.
struct CachePolicy {
  double touch_on_use;
  std::optional<py::int_> max_bytes, max_files;
  std::optional<double> max_age;
  py::object min_free;
  double low_water;

  void apply(StoreOptions& options) const {
    options.touch_on_use = to_seconds(touch_on_use, "touch_on_use");
    options.limits.max_bytes = to_count(max_bytes, "max_bytes");
    options.limits.max_files = to_count(max_files, "max_files");
    if (max_age) options.limits.max_age = to_seconds(*max_age, "max_age");
    options.limits.min_free = to_free_space(min_free, "min_free");
    options.limits.low_water = low_water;
  }
};

std::shared_ptr<Store> make_store(const FsPath& root, const py::object& layouts, bool read_only,
                                  std::string_view durability, bool verify_on_open,
                                  bool verify_on_insert, double touch_on_use,
                                  const std::optional<py::int_>& max_bytes,
                                  const std::optional<py::int_>& max_files,
                                  std::optional<double> max_age, const py::object& min_free,
                                  double low_water, const py::object& remote,
                                  bool remote_read_only) {
  StoreOptions options;
  options.remote = to_remote(remote);
  options.remote_mode = remote_read_only ? RemoteMode::read_only : RemoteMode::read_write;
  options.layouts = parse_layouts(layouts);
  options.read_only = read_only;
  options.durability = parse_durability(durability);
  options.verify_on_open = verify_on_open;
  options.verify_on_insert = verify_on_insert;
  CachePolicy{touch_on_use, max_bytes, max_files, max_age, min_free, low_water}.apply(options);
  // The constructor resolves a relative root against the current directory (no other I/O).
  py::gil_scoped_release release;
  return std::make_shared<Store>(root.value, std::move(options));
}

py::object seconds_or_none(const std::optional<std::chrono::seconds>& s) {
  if (!s) return py::none();
  return py::float_(static_cast<double>(s->count()));
}

// CacheLimits, read-only: what Store.limits returns.
void register_cache_limits(py::module_& m) {
  py::class_<CacheLimits> limits(
      m, "CacheLimits",
      "The bounds a store keeps itself within as it is written (Store(max_bytes=..., "
      "max_files=..., max_age=..., low_water=...)); None: no such bound.");
  limits.def_readonly("max_bytes", &CacheLimits::max_bytes, "Total size of the content, or None.")
      .def_readonly("max_files", &CacheLimits::max_files, "Number of content files, or None.")
      .def_property_readonly(
          "max_age", [](const CacheLimits& l) { return seconds_or_none(l.max_age); },
          "Seconds since last use (mtime) after which a file goes, or None.")
      .def_property_readonly(
          "min_free", [](const CacheLimits& l) { return free_space_or_none(l.min_free); },
          "The free-space floor: bytes (int), a fraction of the filesystem (float), or None.")
      .def_readonly("low_water", &CacheLimits::low_water,
                    "A trim goes down to this share of a size or count bound.")
      .def("any", &CacheLimits::any, "Whether any bound is set.");
  add_repr(limits, {"max_bytes", "max_files", "max_age", "min_free", "low_water"});
}

py::list layouts_of(const Store& s) {
  py::list out;
  for (const auto& l : s.layouts()) out.append(std::const_pointer_cast<Layout>(l));
  return out;
}

std::string repr(const Store& s) {
  std::string layouts;
  for (const auto& l : s.layouts())
    layouts += (layouts.empty() ? "" : ",") + std::string(l->name());
  return "<Store(root=" + py::repr(fs_decode(s.root().string())).cast<std::string>() +
         ", layouts='" + layouts + "', read_only=" + (s.read_only() ? "True" : "False") + ")>";
}

py::object lookup(Store& s, std::string_view hash) {
  std::optional<boost::filesystem::path> path;
  {
    py::gil_scoped_release release;
    path = s.lookup(hash);
  }
  if (!path) return py::none();
  return fs_decode(path->string());
}

bool holds(Store& s, std::string_view hash) {
  py::gil_scoped_release release;
  return s.lookup(hash).has_value();
}

py::object open_file(Store& s, std::string_view hash) {
  UniqueFd fd;
  std::string path;
  {
    py::gil_scoped_release release;
    fd = s.open_fd(hash, &path);
  }
  if (!fd) return py::none();
  return make_store_file(std::move(fd), std::string(hash), path);
}

py::object read_bytes(Store& s, std::string_view hash) {
  std::optional<std::string> data;
  {
    py::gil_scoped_release release;
    std::string path;
    if (UniqueFd fd = s.open_fd(hash, &path)) data = read_to_end(fd.get(), path);
  }
  if (!data) return py::none();
  return py::bytes(*data);
}

// Store::insert or Store::copy: publishes src under hash, returns the new path.
using Publish = boost::filesystem::path (Store::*)(std::string_view,
                                                   const boost::filesystem::path&);

template <Publish publish>
py::str publish_file(Store& s, std::string_view hash, const FsPath& src) {
  boost::filesystem::path path;
  {
    py::gil_scoped_release release;
    path = (s.*publish)(hash, src.value);
  }
  return fs_decode(path.string());
}

std::string put(Store& s, const FsPath& src, std::string_view algorithm) {
  HashAlgorithm a = parse_hash_algorithm(algorithm);
  py::gil_scoped_release release;
  return s.put(src.value, a);
}

void remove_hash(Store& s, std::string_view hash) {
  py::gil_scoped_release release;
  s.remove(hash);
}

py::object walk(const Store& s, const py::object& visit) {
  if (visit.is_none()) {
    std::vector<std::string> hashes;
    {
      py::gil_scoped_release release;
      s.walk([&](const std::string& hash) { hashes.push_back(hash); });
    }
    return py::cast(hashes);
  }
  // The store lists everything first, then calls visit from this thread: each call takes the
  // GIL back, so visit may use the store (lookup, insert, remove).
  py::gil_scoped_release release;
  s.walk([&](const std::string& hash) {
    py::gil_scoped_acquire acquire;
    visit(hash);
  });
  return py::none();
}

void flush(Store& store) {
  py::gil_scoped_release release;
  store.flush();
}

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

// lookup, in, preferred_path, open, read: finding and reading a hash.
void def_reading(StoreClass& store) {
  store
      .def("lookup", &lookup, py::arg("hash"),
           "The absolute path of hash, or None. A file found only under a non-preferred layout "
           "is first moved to its preferred place (unless read-only). Raises InvalidHashError.")
      .def("__contains__", &holds)
      .def(
          "preferred_path",
          [](const Store& s, std::string_view hash) {
            return fs_decode(s.preferred_path(hash).string());
          },
          py::arg("hash"),
          "The absolute path hash has under the preferred layout (no disk access).")
      .def("open", &open_file, py::arg("hash"),
           "A binary file object (io.BufferedReader) reading hash, or None when absent. "
           "Raises InvalidHashError, OSError, CorruptError (verify_on_open).")
      .def("read", &read_bytes, py::arg("hash"),
           "The content of hash as bytes, or None when absent.");
}

// insert, copy, put, remove, flush: changing the store.
void def_writing(StoreClass& store) {
  store
      .def("insert", &publish_file<&Store::insert>, py::arg("hash"), py::arg("src"),
           "Moves src to the preferred path of hash (atomically replacing it; copying across "
           "filesystems), removes copies under other layouts, returns the new path. The content "
           "is not checked. Raises InvalidHashError, ReadOnlyError, InsertionError, OSError.")
      .def("copy", &publish_file<&Store::copy>, py::arg("hash"), py::arg("src"),
           "Like insert, but copies src and leaves it untouched.")
      .def("put", &put, py::arg("src"), py::arg("algorithm") = "sha256",
           "Copies src into the store under its hash ('sha1', 'sha256', 'sha512') and returns "
           "the hash. src is untouched. Raises ReadOnlyError, InsertionError, OSError.")
      .def("remove", &remove_hash, py::arg("hash"),
           "Deletes hash under every layout and prunes emptied directories; absent is a no-op. "
           "Raises InvalidHashError, ReadOnlyError, OSError.")
      .def("flush", &flush,
           "Makes every file published so far durable (one syncfs): the commit point of "
           "durability='batch'. Raises OSError.");
}

}  // namespace

void register_store(py::module_& m) {
  register_cache_limits(m);
  StoreClass store(
      m, "Store",
      R"(A content-addressed file store under root: files named by their hash, placed by the first of
`layouts` (None: [V1Layout(), V0Layout()]; or 'v1,v0', or a list of Layout objects or names).
A file found only under a later layout is moved to the preferred place when it is looked up.
durability: 'none', 'file' (fsync content before the rename), 'full' (and the directory) or
'batch' (no fsync per file; flush() makes everything durable at once).
verify_on_open: open() re-hashes the file and raises CorruptError on a mismatch (moving the
file to .cas-quarantine). verify_on_insert: insert/copy hash the source first and raise
CorruptError, publishing nothing, on a mismatch.
Cache policy (keyword-only; durations in seconds, int or float, rounded down to whole seconds):
touch_on_use: a lookup/open/read that finds a file whose mtime is older than this sets it to
now, so mtime is the file's last use for trim (0: never touch; a read-only store never does).
max_bytes, max_files, max_age: bounds the store keeps itself within as it is written, by
trimming least-recently-used files down to low_water times a bound (see trim); None: no bound.
min_free: a free-space floor on the store's filesystem, bytes (int) or a fraction of it (float):
below it, the oldest content goes until (2 - low_water) times it is free.
remote (keyword-only): an HttpRemote or a URL, the shared tier: lookup/open/read of a local miss
fetch from it (verified before anything is published), insert/copy/put upload to it unless
remote_read_only. A remote failure is a miss (or a local-only write), never an exception:
counted in remote_stats. push()/pull() move many hashes at once.
Touches nothing on disk: root is created by the first insert. Safe to share between threads.

Errors: OSError subclasses (with errno and filename) for OS failures; InvalidHashError (also a
ValueError), ReadOnlyError, InsertionError, UnrecognizedPathsError, CorruptError, all
subclasses of directory.Error, for the store's own.)");
  store
      .def(py::init(&make_store), py::arg("root"), py::arg("layouts") = py::none(),
           py::arg("read_only") = false, py::arg("durability") = "file",
           py::arg("verify_on_open") = false, py::arg("verify_on_insert") = false, py::kw_only(),
           py::arg("touch_on_use") = 3600.0, py::arg("max_bytes") = py::none(),
           py::arg("max_files") = py::none(), py::arg("max_age") = py::none(),
           py::arg("min_free") = py::none(), py::arg("low_water") = 0.9,
           py::arg("remote") = py::none(), py::arg("remote_read_only") = false)
      .def_property_readonly("root", [](const Store& s) { return fs_decode(s.root().string()); })
      .def_property_readonly("layouts", &layouts_of)
      .def_property_readonly("read_only", &Store::read_only)
      .def_property_readonly(
          "touch_on_use",
          [](const Store& s) { return static_cast<double>(s.options().touch_on_use.count()); },
          "Seconds a file's mtime may lag its last use before a lookup sets it (0: never).")
      .def_property_readonly(
          "limits", [](const Store& s) { return s.options().limits; },
          "The automatic limits (a CacheLimits), as given to the constructor.")
      .def("set_read_only", &Store::set_read_only,
           "Makes the store read-only from now on, for every thread.");
  def_reading(store);
  def_writing(store);
  def_remote_methods(store);
  def_fetch_methods(m, store);
  def_checkout_methods(m, store);
  store.def(
      "walk", &walk, py::arg("visit") = py::none(),
      R"(Every hash in the store, once each (across layouts): without visit, returned as a list; with
visit, visit(hash) is called for each (it may call lookup, insert, remove) and None returned.
Afterwards raises UnrecognizedPathsError (attribute paths) if files no layout recognizes
were found. A missing root is an empty store. Raises OSError when a directory cannot be read.)");
  store.def("__repr__", &repr);
}

}  // namespace cas::python
