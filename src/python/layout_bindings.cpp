// directory.Layout and its kinds (V0Layout, V1Layout, FanoutLayout), the name registry and the
// hashing helpers. Layouts are pure string functions: no I/O, so no GIL release.
#include <memory>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"

namespace cas::python {
namespace {

// The registry hands out shared_ptr<const Layout>; the bindings hold shared_ptr<Layout>
// (pybind11 holders cannot be const). Every Layout member is const, so nothing can mutate one.
std::shared_ptr<Layout> unconst(std::shared_ptr<const Layout> layout) {
  return std::const_pointer_cast<Layout>(std::move(layout));
}

std::vector<std::shared_ptr<Layout>> unconst(std::vector<std::shared_ptr<const Layout>> layouts) {
  std::vector<std::shared_ptr<Layout>> out;
  for (auto& l : layouts) out.push_back(unconst(std::move(l)));
  return out;
}

}  // namespace

void register_layouts(py::module_& m) {
  py::class_<Layout, std::shared_ptr<Layout>>(
      m, "Layout",
      "Where a file named by its hash lives under a store's root: a pure string function.")
      .def_property_readonly(
          "name", [](const Layout& l) { return std::string(l.name()); },
          "'v0', 'v1' or 'fanout:W,...' (accepted by layout_by_name).")
      .def_property_readonly("min_hash_length", &Layout::min_hash_length)
      .def("lookup", &Layout::lookup, py::arg("hash"),
           "The root-relative path of hash. Raises InvalidHashError.")
      .def("path_to_hash", &Layout::path_to_hash, py::arg("rel_path"),
           "The hash stored at the root-relative path. Raises InvalidHashError.")
      .def("contains", &Layout::contains, py::arg("rel_path"), py::arg("file_name"),
           "True iff lookup(file_name) == rel_path: rel_path is the file's whole root-relative "
           "path ('58/584b...' under V1), not its directory. False (never an exception) when "
           "file_name is not a valid hash for this layout.")
      .def("__eq__", [](const Layout& a, const Layout& b) { return a.name() == b.name(); })
      .def("__hash__", [](const Layout& l) { return py::hash(py::str(std::string(l.name()))); })
      .def("__repr__", [](const Layout& l) { return "<Layout " + std::string(l.name()) + ">"; });

  py::class_<FanoutLayout, Layout, std::shared_ptr<FanoutLayout>>(
      m, "FanoutLayout", "h[0:w0]/h[w0:w0+w1]/.../h: directories named by slices of the hash.")
      .def(py::init<std::vector<std::size_t>, std::string>(), py::arg("widths"),
           py::arg("name") = std::string())
      .def_property_readonly("widths", &FanoutLayout::widths);
  py::class_<V0Layout, FanoutLayout, std::shared_ptr<V0Layout>>(
      m, "V0Layout", "The legacy IPS layout: h[0:2]/h[2:8]/h.")
      .def(py::init<>());
  py::class_<V1Layout, FanoutLayout, std::shared_ptr<V1Layout>>(
      m, "V1Layout", "The preferred IPS layout: h[0:2]/h.")
      .def(py::init<>());

  m.def(
      "layout_by_name", [](std::string_view name) { return unconst(layout_by_name(name)); },
      py::arg("name"), "The layout called 'v0', 'v1' or 'fanout:W[,W...]'. Raises ValueError.");
  m.def(
      "layouts_by_names", [](std::string_view names) { return unconst(layouts_by_names(names)); },
      py::arg("names"), "Layouts from a comma-separated list such as 'v1,v0'.");
  m.def(
      "default_layouts", [] { return unconst(default_layouts()); },
      "[V1Layout(), V0Layout()]: a store's default lookup order, the first preferred.");
  m.def("validate_hash", &validate_hash, py::arg("hash"), py::arg("min_length") = 1,
        "Raises InvalidHashError unless hash is lowercase hex of min_length..128 characters.");
  m.def("is_valid_hash", &is_valid_hash, py::arg("hash"), py::arg("min_length") = 1);

  m.def(
      "hash_bytes",
      [](py::bytes data, std::string_view algorithm) {
        HashAlgorithm a = parse_hash_algorithm(algorithm);
        std::string_view view = data;
        py::gil_scoped_release release;
        return hash_bytes(view, a);
      },
      py::arg("data"), py::arg("algorithm") = "sha256",
      "The lowercase hex digest of data ('sha1', 'sha256' or 'sha512').");
  m.def(
      "hash_file",
      [](const FsPath& path, std::string_view algorithm) {
        HashAlgorithm a = parse_hash_algorithm(algorithm);
        py::gil_scoped_release release;
        return hash_file(path.value, a);
      },
      py::arg("path"), py::arg("algorithm") = "sha256",
      "The lowercase hex digest of the file at path. Raises OSError.");
}

}  // namespace cas::python
