// Internal to the Python module `directory`: what its binding files share. Each register_*
// function adds one part of the module; module.cpp calls them in order.
//
// Conventions of the whole module:
//   * paths are accepted as str, bytes or os.PathLike (os.fsencode) and returned as str decoded
//     like os.fsdecode, so undecodable bytes survive as surrogate escapes;
//   * every call that may block on I/O runs with the GIL released;
//   * C++ exceptions become Python ones in one place (errors.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pybind11/pybind11.h>

#include "cas/store.hpp"
#include "cas/unique_fd.hpp"

namespace cas::python {

namespace py = pybind11;

// A filesystem path argument: the bytes os.fsencode() gives for a str, bytes or os.PathLike.
struct FsPath {
  std::string value;
};

// str decoded from filesystem bytes as os.fsdecode does (surrogateescape).
py::str fs_decode(std::string_view bytes);

// The OSError Python raises for `code` (a subclass chosen by errno: FileNotFoundError,
// PermissionError, ...), with filename and an extra `operation` attribute ("opendir", ...).
// `permission` forces PermissionError (cas::PermissionError also covers EROFS).
py::object make_os_error(int code, std::string_view path, std::string_view operation,
                         bool permission = false);

// A duration argument given in seconds (int or float, as time.sleep takes them), as whole
// seconds rounded down (so a negative value stays negative for the library to reject).
// Throws InvalidArgumentError (ValueError) for NaN, infinity, or more than the ~292 years a
// std::chrono clock can represent; `name` names the argument in the message.
std::chrono::seconds to_seconds(double seconds, std::string_view name);

// An optional count argument (None or an int). Throws InvalidArgumentError (ValueError) for a
// negative value, OverflowError beyond 2**64-1.
std::optional<std::uint64_t> to_count(const std::optional<py::int_>& value, std::string_view name);

// A free-space floor argument: None, bytes (an int) or a fraction of the filesystem (a float,
// checked by the library). Throws TypeError for anything else, ValueError for negative bytes.
std::optional<FreeSpace> to_free_space(const py::object& value, std::string_view name);
// The inverse, for reading a floor back: None, an int or a float.
py::object free_space_or_none(const std::optional<FreeSpace>& floor);

// A datetime.datetime in UTC (timezone-aware) for `seconds` since the epoch, clamped to
// datetime's range (years 1 to 9999).
py::object utc_datetime(std::int64_t seconds);

// A list of str decoded like paths (fs_decode) from `strings`.
py::list decode_all(const std::vector<std::string>& strings);

// Gives a bound class the repr "Name(a=1, b=2)" from the listed attributes.
template <typename Class>
void add_repr(Class& cls, std::vector<const char*> fields) {
  std::string name = py::str(cls.attr("__name__"));
  cls.def("__repr__", [name, fields](py::handle self) {
    std::string out = name + "(";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ", ";
      out += std::string(fields[i]) + "=" + std::string(py::repr(self.attr(fields[i])));
    }
    return out + ")";
  });
}

// The file object Store.open returns for `fd` (Store::open_fd's, opened at `path`): an
// io.BufferedReader whose name is `name`; its OSErrors name `path`.
py::object make_store_file(UniqueFd fd, const std::string& name, const std::string& path);

// The rest of the file `fd` (opened at `path`), read with the GIL released by the caller.
// Throws IoError/PermissionError (throw_errno) naming `path`.
std::string read_to_end(int fd, const std::string& path);

void register_errors(py::module_& m);
void register_directory(py::module_& m);
void register_pfind(py::module_& m);
void register_layouts(py::module_& m);
void register_store_reader(py::module_& m);
void register_store(py::module_& m);
void register_operations(py::module_& m);
void register_pins(py::module_& m);
void register_remote(py::module_& m);  // remote_bindings.cpp

}  // namespace cas::python

namespace cas {
class Remote;
class Store;
}  // namespace cas

namespace cas::python {

// The Store constructor's remote= argument: None, a URL (str), an HttpRemote, or a list of
// servers sharing the hashes (cas::ShardedRemote), each a URL, an HttpRemote or (either,
// weight). Throws InvalidArgumentError (ValueError) for a bad URL, weight or list.
std::shared_ptr<Remote> to_remote(const py::object& remote);
// Store.push, Store.pull and Store.remote_stats (remote_bindings.cpp).
void def_remote_methods(py::class_<Store, std::shared_ptr<Store>>& store);
// Store.fetch, Store.fetch_many and FetchResult (fetch_bindings.cpp).
void def_fetch_methods(py::module_& m, py::class_<Store, std::shared_ptr<Store>>& store);
// Store.checkout, Store.checkout_tree and CheckoutResult (checkout_bindings.cpp).
void def_checkout_methods(py::module_& m, py::class_<Store, std::shared_ptr<Store>>& store);

}  // namespace cas::python

namespace pybind11::detail {

// Lets bindings take `FsPath` parameters; shown as `str | bytes | os.PathLike` in signatures.
template <>
struct type_caster<cas::python::FsPath> {
  PYBIND11_TYPE_CASTER(cas::python::FsPath, const_name("str | bytes | os.PathLike"));
  bool load(handle src, bool /*convert*/) {
    PyObject* bytes = nullptr;
    // PyUnicode_FSConverter accepts exactly what os.fsencode accepts, and rejects NUL bytes.
    if (!PyUnicode_FSConverter(src.ptr(), &bytes)) {
      // Not a path type: let pybind11 report the mismatch (TypeError). A path with a NUL
      // byte or an unencodable character keeps os's own error (ValueError, UnicodeError).
      if (PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        return false;
      }
      throw error_already_set();
    }
    value.value.assign(PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
    Py_DECREF(bytes);
    return true;
  }
  static handle cast(const cas::python::FsPath& path, return_value_policy, handle) {
    return cas::python::fs_decode(path.value).release();
  }
};

}  // namespace pybind11::detail
