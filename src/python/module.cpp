// The Python module `directory`: the Directory/Entry reader and the parallel pfind of the
// Peloton `directory` Python extension, rebuilt on cas::Directory and cas::Walker, and the
// content-addressed store (cas::Store).
//
//   from directory import Directory, pfind, Store
//
// Build: CMake option CAS_PYTHON (ON when cas is the top-level project) builds it when Python's
// headers and pybind11 are found; the module lands in <build>/python. See src/python/README.md.
#include "bindings.hpp"
#include "cas/walker.hpp"

PYBIND11_MODULE(directory, m) {
  namespace py = pybind11;
  using namespace cas::python;
  m.doc() =
      "Directory listings and a parallel find (pfind) with the GIL released, and the cas "
      "content-addressed store.";
  register_errors(m);  // first: the translators serve every later registration
  register_directory(m);
  register_pfind(m);
  register_layouts(m);
  register_store_reader(m);
  register_remote(m);  // before Store: its remote= keyword takes an HttpRemote
  register_store(m);
  register_operations(m);
  register_pins(m);
  m.def("default_walk_threads", &cas::default_walk_threads,
        "The thread count pfind uses when threads is None (CAS_WALK_THREADS overrides it).");
}
