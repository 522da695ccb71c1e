// Store.pin/unpin/pins/pinned_hashes and PinInfo: the pins and leases of <cas/pins.hpp>, which
// trim and gc never remove. Each call runs with the GIL released.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/pins.hpp"

namespace cas::python {
namespace {

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

// The hashes of a pin: any iterable of str but a str itself, whose characters would each be
// taken for a hash.
std::vector<std::string> hash_list(const py::iterable& hashes) {
  if (py::isinstance<py::str>(hashes) || py::isinstance<py::bytes>(hashes)) {
    throw py::type_error("hashes must be an iterable of str, not a single string");
  }
  std::vector<std::string> out;
  for (py::handle h : hashes) out.push_back(h.cast<std::string>());
  return out;
}

// A ttl in seconds (the library checks its range: 0 to 100 years).
std::optional<std::chrono::seconds> ttl_of(const std::optional<double>& ttl) {
  if (!ttl) return std::nullopt;
  return to_seconds(*ttl, "ttl");
}

void pin(Store& s, const std::string& name, const py::iterable& hashes, std::optional<double> ttl) {
  std::vector<std::string> list = hash_list(hashes);
  const auto seconds = ttl_of(ttl);
  py::gil_scoped_release release;
  add_pin(s, name, list, seconds);
}

bool unpin(Store& s, const std::string& name) {
  py::gil_scoped_release release;
  return remove_pin(s, name);
}

std::vector<PinInfo> pins(const Store& s) {
  py::gil_scoped_release release;
  return list_pins(s);
}

py::set pinned(const Store& s) {
  std::unordered_set<std::string> hashes;
  {
    py::gil_scoped_release release;
    hashes = pinned_hashes(s);
  }
  py::set out;
  for (const auto& h : hashes) out.add(py::str(h));
  return out;
}

py::object expires_of(const PinInfo& p) {
  if (!p.expires) return py::none();
  return utc_datetime(
      std::chrono::duration_cast<std::chrono::seconds>(p.expires->time_since_epoch()).count());
}

}  // namespace

void register_pins(py::module_& m) {
  py::class_<PinInfo> info(m, "PinInfo", "A pin, as Store.pins() lists it.");
  info.def_readonly("name", &PinInfo::name)
      .def_readonly("hashes", &PinInfo::hashes, "How many hashes the pin holds.")
      .def_property_readonly("expires", &expires_of,
                             "When the pin stops protecting its hashes: a timezone-aware UTC "
                             "datetime, or None for never.")
      .def_readonly("expired", &PinInfo::expired,
                    "Whether expires had passed when the pins were listed: the pin protects "
                    "nothing any more.");
  add_repr(info, {"name", "hashes", "expires", "expired"});

  auto store = py::reinterpret_borrow<StoreClass>(m.attr("Store"));
  store
      .def("pin", &pin, py::arg("name"), py::arg("hashes"), py::arg("ttl") = py::none(),
           R"(Creates or replaces the pin `name` (1 to 200 of A-Z a-z 0-9 _ . -, not starting
with '.') holding `hashes` (an iterable of str): trim and gc never remove them. With ttl
(seconds), the pin is a lease that expires that long from now and then protects nothing (a
crashed job's lease runs out by itself). The hashes need not be present. Pins live in
root/.cas-pins, seen by every process using the store. Raises ValueError for a bad name or a
negative ttl, InvalidHashError, ReadOnlyError, OSError.)")
      .def("unpin", &unpin, py::arg("name"),
           "Removes the pin `name`; returns False when there was none. Raises ValueError for a "
           "bad name, ReadOnlyError, OSError.")
      .def("pins", &pins,
           "Every pin, expired ones included, sorted by name: a list of PinInfo. Raises "
           "OSError when a pin cannot be read or is malformed.")
      .def("pinned_hashes", &pinned,
           "The set of hashes held by the pins that have not expired: what trim and gc keep. "
           "Raises OSError as pins() does.");
}

}  // namespace cas::python
