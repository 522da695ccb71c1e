// Fetching in Python: Store.fetch (cas::fetch) and Store.fetch_many (cas::fetch_many), and
// FetchResult. Transfers run with the GIL released.
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/fetch.hpp"
#include "cas/store.hpp"

namespace cas::python {
namespace {

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

FetchOptions fetch_options(std::optional<std::uint64_t> max_bytes, const py::object& ca_file,
                           std::optional<std::string> header, std::size_t jobs) {
  FetchOptions o;
  o.max_bytes = max_bytes;
  if (!ca_file.is_none()) o.http.ca_file = boost::filesystem::path(ca_file.cast<FsPath>().value);
  o.http.header = std::move(header);
  if (jobs > 0) o.http.max_in_flight = jobs;
  return o;
}

std::string fetch_one(Store& store, const std::string& hash, const std::vector<std::string>& urls,
                      std::optional<std::uint64_t> size, std::optional<std::uint64_t> max_bytes,
                      const py::object& ca_file, std::optional<std::string> header) {
  FetchOptions o = fetch_options(max_bytes, ca_file, std::move(header), 0);
  o.size = size;
  py::gil_scoped_release release;
  return fetch(store, hash, urls, o).string();
}

FetchResult fetch_list(Store& store,
                       const std::vector<std::tuple<std::string, std::vector<std::string>>>& list,
                       std::size_t jobs, std::optional<std::uint64_t> max_bytes,
                       const py::object& ca_file, std::optional<std::string> header) {
  std::vector<FetchRequest> requests;
  for (const auto& [hash, urls] : list) requests.push_back({hash, urls, std::nullopt});
  const FetchOptions o = fetch_options(max_bytes, ca_file, std::move(header), jobs);
  py::gil_scoped_release release;
  return fetch_many(store, requests, o);
}

}  // namespace

void def_fetch_methods(py::module_& m, StoreClass& store) {
  py::class_<FetchResult> result(m, "FetchResult",
                                 "What Store.fetch_many did (see cas fetch --list).");
  result.def_readonly("fetched", &FetchResult::fetched)
      .def_readonly("already_present", &FetchResult::already_present)
      .def_readonly("failed", &FetchResult::failed)
      .def_readonly("bytes", &FetchResult::bytes)
      .def_readonly("errors", &FetchResult::errors);
  add_repr(result, {"fetched", "already_present", "failed", "bytes"});
  store
      .def("fetch", &fetch_one, py::arg("hash"), py::arg("urls"), py::kw_only(),
           py::arg("size") = py::none(), py::arg("max_bytes") = py::none(),
           py::arg("ca_file") = py::none(), py::arg("header") = py::none(),
           "Returns the path of `hash` in the store, downloading it on a miss from the store's "
           "remote, else the first of `urls` (http, https, file) whose content hashes to it. "
           "One download per hash however many threads and processes ask. Raises "
           "InvalidHashError or ValueError (a bad URL) before any request, FetchError when no "
           "source gave the content, ReadOnlyError, OSError.")
      .def("fetch_many", &fetch_list, py::arg("requests"), py::kw_only(), py::arg("jobs") = 16,
           py::arg("max_bytes") = py::none(), py::arg("ca_file") = py::none(),
           py::arg("header") = py::none(),
           "Fetches every (hash, [url, ...]) of `requests`, `jobs` at once; returns a "
           "FetchResult (a request no source gave is counted in failed, not raised).");
}

}  // namespace cas::python
