#include "bindings.hpp"

namespace cas::python {

py::str fs_decode(std::string_view bytes) {
  // The filesystem encoding with surrogateescape: the inverse of PyUnicode_FSConverter, so a
  // name that is not valid UTF-8 round-trips to the same bytes.
  PyObject* s =
      PyUnicode_DecodeFSDefaultAndSize(bytes.data(), static_cast<Py_ssize_t>(bytes.size()));
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

py::list decode_all(const std::vector<std::string>& strings) {
  py::list out;
  for (const auto& s : strings) out.append(fs_decode(s));
  return out;
}

}  // namespace cas::python
