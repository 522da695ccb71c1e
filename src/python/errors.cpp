// C++ exceptions -> Python exceptions, in one place.
//
// OS failures become the built-in OSError subclasses (what `except FileNotFoundError` expects),
// with errno, strerror and filename as os functions set them, plus `operation`. The store's own
// failures become the module's exception classes, all derived from directory.Error; an invalid
// hash is also a ValueError, and an invalid argument (InvalidArgumentError) is a plain ValueError,
// as Python's own functions raise. Extra fields of the C++ exceptions become attributes.
#include <cstring>
#include <string>

#include "bindings.hpp"
#include "cas/errors.hpp"

namespace cas::python {
namespace {

// The module's exception classes. Owned for the life of the process: exceptions may be raised
// during interpreter shutdown, and these are never freed (as pybind11 does for its own).
PyObject* g_error = nullptr;
PyObject* g_invalid_hash = nullptr;
PyObject* g_read_only = nullptr;
PyObject* g_insertion = nullptr;
PyObject* g_unrecognized = nullptr;
PyObject* g_corrupt = nullptr;
PyObject* g_fetch = nullptr;

PyObject* new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  std::string qualified = std::string("directory.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // add_object takes its own reference
  return type;
}

// Raises `type(message)` with the given attributes set on the instance.
// Messages may quote hashes or paths holding any bytes, so they are decoded like paths.
template <typename... Attrs>
void raise(PyObject* type, const char* message, Attrs&&... attrs) {
  py::object exc = py::reinterpret_borrow<py::object>(type)(fs_decode(message));
  ((exc.attr(attrs.first) = attrs.second), ...);
  PyErr_SetObject(type, exc.ptr());
}

// IoError's message is "<operation> <path>: <reason>"; the operation is what precedes the path.
std::string operation_of(const IoError& e) {
  std::string_view what = e.what();
  std::string needle = " " + e.path() + ": ";
  auto at = what.find(needle);
  return at == std::string_view::npos ? std::string() : std::string(what.substr(0, at));
}

// The exception translator: raises the Python exception for a C++ one from the library.
void translate(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const PermissionError& e) {
    py::object exc = make_os_error(e.code(), e.path(), operation_of(e), true);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  } catch (const IoError& e) {
    py::object exc = make_os_error(e.code(), e.path(), operation_of(e));
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  } catch (const InvalidHashError& e) {
    // The rejected input may hold any bytes: keep them, decoded like a path.
    raise(g_invalid_hash, e.what(), std::pair{"hash", fs_decode(e.hash())});
  } catch (const ReadOnlyError& e) {
    // `hash`: the attribute's first name, kept for the programs that read it.
    py::object subject = fs_decode(e.subject());
    raise(g_read_only, e.what(), std::pair{"operation", py::str(e.operation())},
          std::pair{"subject", subject}, std::pair{"hash", subject});
  } catch (const InsertionError& e) {
    raise(g_insertion, e.what(), std::pair{"source", fs_decode(e.source())});
  } catch (const UnrecognizedPathsError& e) {
    py::list paths;
    for (const auto& path : e.paths()) paths.append(fs_decode(path));
    raise(g_unrecognized, e.what(), std::pair{"paths", paths});
  } catch (const CorruptError& e) {
    raise(g_corrupt, e.what(), std::pair{"path", fs_decode(e.path())},
          std::pair{"expected", py::str(e.expected())}, std::pair{"actual", py::str(e.actual())});
  } catch (const FetchError& e) {
    py::list attempts;
    for (const auto& a : e.attempts()) attempts.append(py::str(a));
    raise(g_fetch, e.what(), std::pair{"hash", py::str(e.hash())}, std::pair{"attempts", attempts});
  } catch (const InvalidArgumentError& e) {
    raise(PyExc_ValueError, e.what());
  } catch (const Error& e) {
    raise(g_error, e.what());
  }
}

}  // namespace

py::object make_os_error(int code, std::string_view path, std::string_view operation,
                         bool permission) {
  // OSError(errno, strerror, filename) picks the subclass from errno, as os functions do;
  // EROFS has no subclass of its own, but cas reports it as a permission failure.
  PyObject* type = permission ? PyExc_PermissionError : PyExc_OSError;
  py::object exc =
      py::reinterpret_borrow<py::object>(type)(code, std::strerror(code), fs_decode(path));
  if (!operation.empty()) exc.attr("operation") = py::str(std::string(operation));
  return exc;
}

void register_errors(py::module_& m) {
  g_error = new_exception(m, "Error", py::make_tuple(py::handle(PyExc_Exception)),
                          "Base of the store's own errors (OS failures raise OSError).");
  py::handle error(g_error);
  g_invalid_hash = new_exception(
      m, "InvalidHashError", py::make_tuple(error, py::handle(PyExc_ValueError)),
      "A string given as a hash is not one (not lowercase hex, too short or too long). "
      "Attribute: hash.");
  // The others derive from Error alone.
  const struct {
    PyObject** type;
    const char* name;
    const char* doc;
  } kinds[] = {
      {&g_read_only, "ReadOnlyError",
       "A mutating call on a read-only store. Attributes: operation ('create', 'remove', "
       "'reap', 'pin' or 'unpin'; trim raises 'remove'), subject (what was refused: the hash; "
       "put: the root, pin/unpin: the pin's name, trim: the root), hash (the same as "
       "subject: its former name)."},
      {&g_insertion, "InsertionError",
       "insert/copy/put could not publish a file: the source is missing or not a regular file. "
       "Attribute: source."},
      {&g_unrecognized, "UnrecognizedPathsError",
       "Store.walk found files no layout recognizes. Attribute: paths (root-relative, sorted)."},
      {&g_corrupt, "CorruptError",
       "A file's content does not hash to its name. Attributes: path, expected, actual."},
      {&g_fetch, "FetchError",
       "Store.fetch: no source gave the content of the hash. Attributes: hash, attempts (what "
       "each URL answered, without credentials)."},
  };
  for (const auto& kind : kinds) {
    *kind.type = new_exception(m, kind.name, py::make_tuple(error), kind.doc);
  }

  py::register_exception_translator(&translate);
}

}  // namespace cas::python
