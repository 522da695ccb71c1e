// The file object Store.open returns: io.BufferedReader over a raw reader on the stream
// cas::Store::open gives (so verify-on-open, migrate-on-lookup and its retries all apply).
// Reads and seeks run with the GIL released.
#include <cerrno>
#include <istream>
#include <memory>
#include <mutex>
#include <string>

#include "bindings.hpp"
#include "cas/errors.hpp"

namespace cas::python {
namespace {

class StoreReader {
 public:
  StoreReader(std::unique_ptr<std::istream> in, std::string name)
      : in_(std::move(in)), name_(std::move(name)) {}

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
      char chunk[64 * 1024];
      for (;;) {
        in_->read(chunk, sizeof chunk);
        out.append(chunk, static_cast<std::size_t>(in_->gcount()));
        if (!*in_) break;
      }
      finish_read();
    }
    return py::bytes(out);
  }

  long long seek(long long offset, int whence) {
    if (whence < 0 || whence > 2) throw py::value_error("invalid whence (0, 1 or 2)");
    const std::ios_base::seekdir dirs[] = {std::ios_base::beg, std::ios_base::cur,
                                           std::ios_base::end};
    std::ios_base::seekdir dir = dirs[whence];
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    check_open();
    in_->clear();
    in_->seekg(offset, dir);
    auto pos = in_->tellg();
    if (!*in_ || pos < 0) {
      in_->clear();
      throw_io(EINVAL);
    }
    return pos;
  }

  long long tell() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    check_open();
    in_->clear();
    return in_->tellg();
  }

  void close() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    in_.reset();
  }
  bool closed() {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    return !in_;
  }
  const std::string& name() const { return name_; }

 private:
  std::size_t read_some(char* data, std::size_t size) {
    py::gil_scoped_release release;
    std::lock_guard lock(mu_);
    check_open();
    in_->read(data, static_cast<std::streamsize>(size));
    auto got = static_cast<std::size_t>(in_->gcount());
    finish_read();
    return got;
  }

  // End of file sets failbit with eofbit; a read error (badbit) is reported as EIO, the only
  // thing a std::istream can tell.
  void finish_read() {
    if (in_->bad()) {
      in_->clear();
      throw_io(EIO);
    }
    in_->clear();
  }

  // Without the GIL too: errors.cpp turns InvalidArgumentError into ValueError.
  void check_open() const {
    if (!in_) throw InvalidArgumentError("I/O operation on closed file");
  }

  // A C++ exception: this runs without the GIL (errors.cpp turns it into OSError).
  [[noreturn]] void throw_io(int code) const { throw IoError(code, "read", name_); }

  std::mutex mu_;
  std::unique_ptr<std::istream> in_;
  std::string name_;
};

}  // namespace

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
             PyErr_SetString(unsupported.ptr(), "a store file has no file descriptor");
             throw py::error_already_set();
           })
      .def("close", &StoreReader::close)
      .def_property_readonly("closed", &StoreReader::closed)
      .def_property_readonly("name", &StoreReader::name)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](StoreReader& r, py::args) { r.close(); });
}

py::object make_store_file(std::unique_ptr<std::istream> in, const std::string& name) {
  in->exceptions(std::ios_base::goodbit);
  py::object raw = py::cast(std::make_unique<StoreReader>(std::move(in), name));
  return py::module_::import("io").attr("BufferedReader")(raw);
}

}  // namespace cas::python
