// The remote tier in Python: directory.HttpRemote (cas::HttpRemote), Store.push / Store.pull
// (cas::push / cas::pull), Store.remote_stats, and their result types. The Store constructor's
// remote= keyword is parsed here too (to_remote): a list of servers is a cas::ShardedRemote.
// Transfers run with the GIL released.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/errors.hpp"
#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/sharded_remote.hpp"
#include "cas/store.hpp"

namespace cas::python {
namespace {

using StoreClass = py::class_<Store, std::shared_ptr<Store>>;

std::shared_ptr<HttpRemote> make_remote(const std::string& url, const py::object& ca_file,
                                        std::optional<std::string> header, bool netrc,
                                        double connect_timeout, double low_speed_time,
                                        std::size_t max_in_flight) {
  HttpRemoteOptions o;
  if (!ca_file.is_none()) o.ca_file = boost::filesystem::path(ca_file.cast<FsPath>().value);
  o.header = std::move(header);
  o.use_netrc = netrc;
  o.connect_timeout_ms = static_cast<long>(connect_timeout * 1000);
  o.low_speed_time_s = static_cast<long>(low_speed_time);
  o.max_in_flight = max_in_flight;
  return std::make_shared<HttpRemote>(url, o);
}

// The remote a push/pull uses: the one given, else the store's own.
std::shared_ptr<Remote> remote_for(const Store& store, const py::object& remote) {
  if (!remote.is_none()) return to_remote(remote);
  if (!store.options().remote) {
    throw InvalidArgumentError("the store has no remote: give remote= to Store() or to this call");
  }
  return store.options().remote;
}

PushResult push_store(Store& store, const py::object& remote, bool dry_run, bool always_ask) {
  std::shared_ptr<Remote> r = remote_for(store, remote);
  PushOptions options;
  options.dry_run = dry_run;
  if (always_ask) options.ask = PushAsk::always;
  py::gil_scoped_release release;
  return push(store, *r, options);
}

PullResult pull_store(Store& store, const std::vector<std::string>& hashes,
                      const py::object& remote) {
  std::shared_ptr<Remote> r = remote_for(store, remote);
  py::gil_scoped_release release;
  return pull(store, *r, hashes);
}

void register_results(py::module_& m) {
  py::class_<PushResult> push_result(m, "PushResult", "What Store.push did (see cas push).");
  push_result.def_readonly("checked", &PushResult::checked)
      .def_readonly("uploaded", &PushResult::uploaded)
      .def_readonly("already_present", &PushResult::already_present)
      .def_readonly("sent_unasked", &PushResult::sent_unasked)
      .def_readonly("bytes", &PushResult::bytes)
      .def_readonly("failed", &PushResult::failed)
      .def_readonly("errors", &PushResult::errors);
  add_repr(push_result,
           {"checked", "uploaded", "already_present", "sent_unasked", "bytes", "failed"});
  py::class_<PullResult> pull_result(m, "PullResult", "What Store.pull did (see cas pull).");
  pull_result.def_readonly("fetched", &PullResult::fetched)
      .def_readonly("already_present", &PullResult::already_present)
      .def_readonly("missing", &PullResult::missing)
      .def_readonly("corrupt", &PullResult::corrupt)
      .def_readonly("bytes", &PullResult::bytes)
      .def_readonly("failed", &PullResult::failed)
      .def_readonly("errors", &PullResult::errors);
  add_repr(pull_result, {"fetched", "already_present", "missing", "corrupt", "bytes", "failed"});
  py::class_<RemoteStats> stats(m, "RemoteStats", "What a Store's remote tier did so far.");
  stats.def_readonly("fetched", &RemoteStats::fetched)
      .def_readonly("misses", &RemoteStats::misses)
      .def_readonly("fetch_errors", &RemoteStats::fetch_errors)
      .def_readonly("uploaded", &RemoteStats::uploaded)
      .def_readonly("upload_errors", &RemoteStats::upload_errors)
      .def_readonly("last_error", &RemoteStats::last_error);
  add_repr(stats, {"fetched", "misses", "fetch_errors", "uploaded", "upload_errors", "last_error"});
}

// One server of remote=[...]: a URL, an HttpRemote, or a (URL or HttpRemote, weight) pair. Its
// identity for placement is its URL (without credentials), as for `cas --remote`.
RemoteShard to_shard(const py::handle& item) {
  double weight = 1.0;
  py::object server = py::reinterpret_borrow<py::object>(item);
  if (py::isinstance<py::tuple>(item)) {
    auto pair = item.cast<py::tuple>();
    if (pair.size() != 2) {
      throw InvalidArgumentError(
          "a server of remote=[...] is a URL, an HttpRemote or (either, "
          "weight)");
    }
    server = pair[0];
    weight = pair[1].cast<double>();
  }
  if (py::isinstance<py::str>(server)) {
    const std::string url = server.cast<std::string>();
    return {open_remote(url), url, weight};
  }
  auto http = server.cast<std::shared_ptr<HttpRemote>>();
  return {http, http->display_url(), weight};
}

}  // namespace

std::shared_ptr<Remote> to_remote(const py::object& remote) {
  if (remote.is_none()) return nullptr;
  // A URL: http(s):// (HttpRemote's defaults) or s3://BUCKET[/PREFIX] (the AWS_* variables).
  if (py::isinstance<py::str>(remote)) return open_remote(remote.cast<std::string>());
  if (py::isinstance<py::list>(remote)) {
    std::vector<RemoteShard> shards;
    for (const py::handle item : remote.cast<py::list>()) shards.push_back(to_shard(item));
    return std::make_shared<ShardedRemote>(std::move(shards));
  }
  return remote.cast<std::shared_ptr<HttpRemote>>();
}

void register_remote(py::module_& m) {
  py::class_<HttpRemote, std::shared_ptr<HttpRemote>>(
      m, "HttpRemote",
      R"(An HTTP object server speaking HEAD/GET/PUT url/cas/<hash> (bazel-remote, nginx WebDAV):
the shared tier behind a Store (Store(root, remote=...)). Credentials in the URL
(http://user:password@host/), as a header ('Authorization: Bearer ...') or from ~/.netrc are
never shown in a message. ca_file: the CA to trust for https instead of the system's. Raises
ValueError for a URL that is not http(s).)")
      .def(py::init(&make_remote), py::arg("url"), py::kw_only(), py::arg("ca_file") = py::none(),
           py::arg("header") = py::none(), py::arg("netrc") = false,
           py::arg("connect_timeout") = 5.0, py::arg("low_speed_time") = 30.0,
           py::arg("max_in_flight") = 16)
      .def_property_readonly("url", &HttpRemote::display_url, "The URL without credentials.")
      .def(
          "contains",
          [](HttpRemote& r, const std::string& hash) {
            py::gil_scoped_release release;
            return std::string(to_string(r.contains(hash).status));
          },
          py::arg("hash"),
          "'present', 'absent' or 'failed'. Raises InvalidHashError for a hash that is not a "
          "sha1/sha256/sha512 hex digest.")
      .def("__repr__", [](const HttpRemote& r) { return "<HttpRemote " + r.display_url() + ">"; });
  register_results(m);
}

void def_remote_methods(StoreClass& store) {
  store
      .def("push", &push_store, py::kw_only(), py::arg("remote") = py::none(),
           py::arg("dry_run") = false, py::arg("always_ask") = false,
           "Uploads every hash the remote (default: the store's own) lacks, many requests in "
           "flight; returns a PushResult. While most of what is asked about is new, files up "
           "to 64 KiB are sent without asking (sent_unasked counts them); always_ask=True asks "
           "about each first. Failures are counted, not raised.")
      .def("pull", &pull_store, py::arg("hashes"), py::kw_only(), py::arg("remote") = py::none(),
           "Fetches the listed hashes the store lacks, each verified before it is published; "
           "returns a PullResult. Raises InvalidHashError (before any request), ReadOnlyError.")
      .def_property_readonly("remote_stats", &Store::remote_stats,
                             "A RemoteStats: what reading and writing through the remote did.");
}

}  // namespace cas::python
