// The file object Store.open returns: io.BufferedReader over a raw reader on the descriptor
// cas::Store::open_fd gives (so verify-on-open, migrate-on-lookup and its retries all apply), read
// with read(2) and lseek(2), so that a failure raises OSError with its real errno and the path.
// Reads and seeks run with the GIL released.
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string>

#include "bindings.hpp"
#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"

namespace cas::python {
namespace {

// One read(2), retried on EINTR: the bytes read, 0 at the end of the file.
std::size_t read_once(int fd, char* data, std::size_t size, const std::string& path) {
  for (;;) {
    ssize_t got = ::read(fd, data, size);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw_errno(errno, "read", path);
  }
}

class StoreReader {
 public:
  StoreReader(UniqueFd fd, std::string name, std::string path)
      : fd_(std::move(fd)), name_(std::move(name)), path_(std::move(path)) {}

  std::size_t readinto(const py::buffer& b) {
    py::buffer_info info = b.request(/*writable=*/true);
    if (info.ndim != 1 || info.strides[0] != info.itemsize) {
      throw py::value_error("readinto needs a contiguous buffer");
    }
    return read_some(static_cast<char*>(info.ptr),
                     static_cast<std::size_t>(info.size * info.itemsize));
  }

  py::bytes read(long long size) {
    if (size < 0) return readall();
    std::string buf(static_cast<std::size_t>(size), '\0');
    buf.resize(read_some(buf.data(), buf.size()));
    return py::bytes(buf);
  }

  py::bytes readall() {
    std::string out;
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mu_);
      check_open();
      out = read_to_end(fd_.get(), path_);
    }
    return py::bytes(out);
  }

  long long seek(long long offset, int whence) {
    if (whence < 0 || whence > 2) throw py::value_error("invalid whence (0, 1 or 2)");
    const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    check_open();
    off_t pos = ::lseek(fd_.get(), static_cast<off_t>(offset), whences[whence]);
    if (pos < 0) throw_errno(errno, "seek", path_);
    return pos;
  }

  long long tell() { return seek(0, 1); }

  void close() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    fd_.reset();
  }
  bool closed() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    return !fd_;
  }
  const std::string& name() const { return name_; }

 private:
  std::size_t read_some(char* data, std::size_t size) {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    check_open();
    return read_once(fd_.get(), data, size, path_);
  }

  // Without the GIL too: errors.cpp turns InvalidArgumentError into ValueError.
  void check_open() const {
    if (!fd_) throw InvalidArgumentError("I/O operation on closed file");
  }

  std::mutex mu_;
  UniqueFd fd_;
  std::string name_;  // the hash: the file object's name
  std::string path_;  // where the store opened it: what an OSError names
};

}  // namespace

std::string read_to_end(int fd, const std::string& path) {
  std::string out;
  char chunk[64 * 1024];
  while (std::size_t got = read_once(fd, chunk, sizeof chunk, path)) out.append(chunk, got);
  return out;
}

void register_store_reader(py::module_& m) {
  py::class_<StoreReader>(m, "StoreReader",
                          "The raw reader under the io.BufferedReader that Store.open returns.")
      .def("readable", [](StoreReader&) { return true; })
      .def("writable", [](StoreReader&) { return false; })
      .def("seekable", [](StoreReader&) { return true; })
      .def("isatty", [](StoreReader&) { return false; })
      .def("readinto", &StoreReader::readinto, py::arg("buffer"))
      .def("read", &StoreReader::read, py::arg("size") = -1)
      .def("readall", &StoreReader::readall)
      .def("seek", &StoreReader::seek, py::arg("offset"), py::arg("whence") = 0)
      .def("tell", &StoreReader::tell)
      .def("flush", [](StoreReader&) {})
      .def("fileno",
           [](StoreReader&) -> int {
             py::object unsupported = py::module_::import("io").attr("UnsupportedOperation");
             PyErr_SetString(unsupported.ptr(),
                             "a store file does not lend out its file descriptor");
             throw py::error_already_set();
           })
      .def("close", &StoreReader::close)
      .def_property_readonly("closed", &StoreReader::closed)
      .def_property_readonly("name", &StoreReader::name)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](StoreReader& r, py::args) { r.close(); });
}

py::object make_store_file(UniqueFd fd, const std::string& name, const std::string& path) {
  py::object raw = py::cast(std::make_unique<StoreReader>(std::move(fd), name, path));
  return py::module_::import("io").attr("BufferedReader")(raw);
}

}  // namespace cas::python
