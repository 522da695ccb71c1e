// Checkout in Python: Store.checkout (cas::checkout), Store.checkout_tree (cas::checkout_tree)
// and CheckoutResult. Files are laid out with the GIL released.
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/checkout.hpp"
#include "cas/store.hpp"

namespace cas::python {
namespace {

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

std::string checkout_one(Store& store, const std::string& hash, const FsPath& dest,
                         const std::string& link) {
  const LinkMode mode = parse_link_mode(link);
  py::gil_scoped_release release;
  return std::string(to_string(checkout(store, hash, dest.value, mode)));
}

// `entries`: (hash, path) or (hash, path, executable) tuples.
std::vector<CheckoutEntry> entries_of(const py::iterable& entries) {
  std::vector<CheckoutEntry> out;
  for (py::handle item : entries) {
    const py::tuple t(py::reinterpret_borrow<py::object>(item));
    if (t.size() != 2 && t.size() != 3) {
      throw py::value_error(
          "checkout_tree: each entry is (hash, path) or (hash, path, executable)");
    }
    CheckoutEntry e{t[0].cast<std::string>(), t[1].cast<FsPath>().value, false};
    if (t.size() == 3) e.executable = t[2].cast<bool>();
    out.push_back(std::move(e));
  }
  return out;
}

CheckoutResult checkout_many(Store& store, const py::iterable& entries, const FsPath& dest_root,
                             const std::string& link, unsigned jobs) {
  const std::vector<CheckoutEntry> list = entries_of(entries);
  const CheckoutOptions options{parse_link_mode(link), jobs};
  py::gil_scoped_release release;
  return checkout_tree(store, list, dest_root.value, options);
}

}  // namespace

void def_checkout_methods(py::module_& m, StoreClass& store) {
  py::class_<CheckoutResult> result(m, "CheckoutResult",
                                    "What Store.checkout_tree did (see cas checkout --manifest).");
  result.def_readonly("reflinked", &CheckoutResult::reflinked)
      .def_readonly("hardlinked", &CheckoutResult::hardlinked)
      .def_readonly("copied", &CheckoutResult::copied)
      .def_readonly("symlinked", &CheckoutResult::symlinked)
      .def_readonly("already_there", &CheckoutResult::already_there)
      .def_readonly("failed", &CheckoutResult::failed)
      .def_readonly("bytes", &CheckoutResult::bytes)
      .def_readonly("errors", &CheckoutResult::errors);
  add_repr(result,
           {"reflinked", "hardlinked", "copied", "symlinked", "already_there", "failed", "bytes"});
  store
      .def("checkout", &checkout_one, py::arg("hash"), py::arg("dest"), py::arg("link") = "auto",
           "Lays the stored file of `hash` out at `dest` by `link`: 'auto' (reflink where the "
           "filesystem clones, else a hard link on the same filesystem, else a copy), "
           "'reflink', 'hardlink' (the stored file made read-only first), 'copy' or 'symlink'. "
           "Returns what was done: 'reflinked', 'hardlinked', 'copied', 'symlinked' or "
           "'already_there'. Raises InvalidHashError, ValueError (a bad link), directory.Error "
           "(not in the store), OSError (reflink where the filesystem cannot clone, hardlink "
           "across filesystems: EXDEV).")
      .def("checkout_tree", &checkout_many, py::arg("entries"), py::arg("dest_root"),
           py::arg("link") = "auto", py::kw_only(), py::arg("jobs") = 0,
           "Lays out every (hash, relative_path[, executable]) of `entries` under `dest_root`, "
           "`jobs` threads at once (0: the default); returns a CheckoutResult (an entry that "
           "fails is counted in failed, not raised). Raises InvalidHashError or ValueError (a "
           "path that is absolute, has '..' or empty components, or is given twice) before "
           "anything is written.");
}

}  // namespace cas::python
