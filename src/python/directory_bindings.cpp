// directory.Directory and directory.Entry: the reader of the Peloton `directory` Python
// extension, on cas::Directory.
//
//   from directory import Directory, DT_DIR
//   for entry in Directory('.'):
//       if entry.d_name() not in ('.', '..') and entry.d_type() == DT_DIR:
//           sub = entry.directory()
//
// Entries are read in batches with the GIL released, so other Python threads run while the
// directory is read and the lock is not dropped and retaken per entry.
#include <dirent.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "cas/directory.hpp"

namespace cas::python {
namespace {

// Entries read per GIL release: amortizes the release, keeps the copy small.
constexpr std::size_t kBatch = 128;

// A Directory shared by the Python object and its iterators. cas::Directory is for one thread
// at a time; `mu` serializes Python threads that iterate the same object with the GIL released.
struct SharedDirectory {
  explicit SharedDirectory(const std::string& path) : dir(path) {}
  std::mutex mu;
  Directory dir;
  // Bumped by every new listing: Directory::begin() rewinds and invalidates older iterators.
  std::uint64_t generation = 0;
};

class DirectoryIterator {
 public:
  explicit DirectoryIterator(std::shared_ptr<SharedDirectory> dir) : dir_(std::move(dir)) {}

  Entry next() {
    if (pos_ == batch_.size()) fill();
    if (pos_ == batch_.size()) throw py::stop_iteration();
    return std::move(batch_[pos_++]);
  }

 private:
  void fill() {
    batch_.clear();
    pos_ = 0;
    if (done_) {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      return;
    }
    bool restarted = false;
    {
      py::gil_scoped_release release;
      std::lock_guard lock(dir_->mu);
      try {
        if (!it_) {
          generation_ = ++dir_->generation;
          it_ = dir_->dir.begin();
        } else if (generation_ != dir_->generation) {
          restarted = true;
        }
        if (!restarted) {
          for (; batch_.size() < kBatch && *it_ != dir_->dir.end(); ++*it_) batch_.push_back(**it_);
          done_ = *it_ == dir_->dir.end();
        }
      } catch (...) {
        // Hand out what was read before the error, then raise it.
        error_ = std::current_exception();
        done_ = true;
      }
    }
    if (restarted) {
      done_ = true;
      throw py::value_error("Directory was iterated again: this older iterator is invalid");
    }
    if (batch_.empty() && error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  std::shared_ptr<SharedDirectory> dir_;
  std::optional<Directory::iterator> it_;
  std::uint64_t generation_ = 0;
  std::vector<Entry> batch_;
  std::size_t pos_ = 0;
  bool done_ = false;
  std::exception_ptr error_;
};

const char* type_name(unsigned char type) {
  switch (type) {
    case DT_DIR:
      return "DT_DIR";
    case DT_REG:
      return "DT_REG";
    case DT_LNK:
      return "DT_LNK";
    case DT_FIFO:
      return "DT_FIFO";
    case DT_SOCK:
      return "DT_SOCK";
    case DT_CHR:
      return "DT_CHR";
    case DT_BLK:
      return "DT_BLK";
    case DT_UNKNOWN:
      return "DT_UNKNOWN";
    default:
      return nullptr;
  }
}

std::shared_ptr<SharedDirectory> open_directory(const std::string& path) {
  py::gil_scoped_release release;
  return std::make_shared<SharedDirectory>(path);
}

}  // namespace

void register_directory(py::module_& m) {
  m.attr("DT_DIR") = static_cast<int>(DT_DIR);
  m.attr("DT_REG") = static_cast<int>(DT_REG);
  m.attr("DT_LNK") = static_cast<int>(DT_LNK);
  m.attr("DT_FIFO") = static_cast<int>(DT_FIFO);
  m.attr("DT_SOCK") = static_cast<int>(DT_SOCK);
  m.attr("DT_CHR") = static_cast<int>(DT_CHR);
  m.attr("DT_BLK") = static_cast<int>(DT_BLK);
  m.attr("DT_UNKNOWN") = static_cast<int>(DT_UNKNOWN);

  py::class_<SharedDirectory, std::shared_ptr<SharedDirectory>>(
      m, "Directory",
      "Directory(path): an open directory. Iterating it yields an Entry for every entry the\n"
      "directory lists (os.listdir's, plus '.' and '..'), in the filesystem's order, with\n"
      "no stat per entry.\n"
      "Each iteration starts the listing afresh (and invalidates older iterators).\n"
      "Raises FileNotFoundError, NotADirectoryError, PermissionError, ... (OSError with\n"
      "filename) when the directory cannot be opened. Follows a symlink.")
      .def(py::init([](const FsPath& path) { return open_directory(path.value); }), py::arg("path"))
      .def(
          "path", [](const SharedDirectory& d) { return fs_decode(d.dir.path().string()); },
          "The path the Directory was opened with, as str.")
      .def(
          "fileno", [](const SharedDirectory& d) { return d.dir.fd(); },
          "The open directory's descriptor (owned by the Directory: do not close it).")
      .def("__iter__",
           [](const std::shared_ptr<SharedDirectory>& d) { return DirectoryIterator(d); })
      .def("__repr__", [](const SharedDirectory& d) {
        return "<Directory(path=" + py::repr(fs_decode(d.dir.path().string())).cast<std::string>() +
               ")>";
      });

  py::class_<DirectoryIterator>(m, "DirectoryIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &DirectoryIterator::next);

  py::class_<Entry>(m, "Entry", "One directory entry: the fields of a struct dirent, and its path.")
      .def("d_ino", &Entry::d_ino, "The inode number the directory listed (d_ino).")
      .def(
          "d_type", [](const Entry& e) { return static_cast<int>(e.d_type()); },
          "The DT_* type (DT_UNKNOWN from the filesystem is resolved with lstat; a symlink is "
          "DT_LNK).")
      .def(
          "d_name", [](const Entry& e) { return fs_decode(e.d_name()); },
          "The entry's name, as str (undecodable bytes as surrogate escapes, like os.fsdecode).")
      .def(
          "path", [](const Entry& e) { return fs_decode(e.path().string()); },
          "The directory's path joined with d_name(), as str.")
      .def(
          "directory",
          [](const Entry& e) -> std::shared_ptr<SharedDirectory> {
            if (e.d_type() != DT_DIR) return nullptr;
            return open_directory(e.path().string());
          },
          "Opens the entry as a Directory if d_type() is DT_DIR ('.' and '..' included), else "
          "returns None (also for symlinks to directories). Raises OSError when it cannot be "
          "opened.")
      .def("__repr__", [](const Entry& e) {
        // As the Peloton extension printed it: path is the directory the entry was found in.
        const char* type = type_name(e.d_type());
        return "<Entry(path=" +
               py::repr(fs_decode(e.path().parent_path().string())).cast<std::string>() +
               ", d_ino=" + std::to_string(e.d_ino()) +
               ", d_type=" + (type ? type : std::to_string(e.d_type())) +
               ", d_name=" + py::repr(fs_decode(e.d_name())).cast<std::string>() + ")>";
      });
}

}  // namespace cas::python
