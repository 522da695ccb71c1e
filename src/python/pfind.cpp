// directory.pfind: `find PATH ! -type d -printf '%i\t%p\n'` as a Python iterator, on cas::Walker.
//
// The walk runs on its own threads, none of which ever takes the GIL. Each walker worker fills
// its own batch (one string buffer plus offsets, so an entry costs no allocation) and hands full
// batches to a bounded queue; the Python thread that iterates pops a batch with the GIL
// released and turns it into (inode, path) tuples one at a time. When the queue is full the
// workers wait, so memory stays bounded (max_batches + threads batches) however large the tree
// and however slow the consumer. Closing or dropping the iterator cancels the walk: waiting
// workers wake, the walker stops, and the producer thread is joined before the object goes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "cas/errors.hpp"
#include "cas/walker.hpp"

namespace cas::python {
namespace {

struct Batch {
  struct Item {
    ino_t ino;
    std::size_t offset;  // into text
    std::size_t length;
  };
  std::string text;
  std::vector<Item> items;
  std::vector<WalkError> errors;
  std::size_t size() const { return items.size() + errors.size(); }
};

struct PfindOptions {
  std::optional<unsigned> threads;
  std::optional<int> max_depth;
  bool follow_symlinks = false;
  bool xdev = false;
  bool inode_order = true;
  std::size_t batch_size = 1024;
  std::optional<std::size_t> max_batches;
};

class Pfind {
 public:
  Pfind(std::string root, const PfindOptions& options, py::object onerror)
      : root_(std::move(root)), onerror_(std::move(onerror)) {
    batch_size_ = std::max<std::size_t>(options.batch_size, 1);
    WalkOptions wo;
    wo.threads = options.threads.value_or(0);
    wo.max_depth = options.max_depth.value_or(-1);
    wo.follow_symlinks = options.follow_symlinks;
    wo.xdev = options.xdev;
    wo.inode_order = options.inode_order;
    wo.on_error = [this](const WalkError& e) {
      add_error(e);
      return cancelled_.load(std::memory_order_relaxed) ? ErrorAction::stop : ErrorAction::proceed;
    };
    walker_.emplace(std::move(wo));
    capacity_ = std::max<std::size_t>(options.max_batches.value_or(2 * walker_->threads()), 1);
    slots_.resize(walker_->threads());
    prefix_ = root_;
    if (!prefix_.empty() && prefix_.back() != '/') prefix_ += '/';

    py::gil_scoped_release release;
    // The starting point as find treats it: a non-directory is itself the one result (a
    // symlink is not followed without follow_symlinks); a missing one raises here, at the call.
    struct stat st;
    int rc = options.follow_symlinks ? ::stat(root_.c_str(), &st) : ::lstat(root_.c_str(), &st);
    if (rc != 0 && options.follow_symlinks && errno == ENOENT) rc = ::lstat(root_.c_str(), &st);
    if (rc != 0) throw_errno(errno, options.follow_symlinks ? "stat" : "lstat", root_);
    if (S_ISDIR(st.st_mode)) {
      // Open it once here so that an unreadable root raises at the call too, not at the
      // first next() (the walker opens it again; a change in between still surfaces there).
      int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) throw_errno(errno, "open", root_);
      ::close(fd);
    } else {
      Batch only;
      only.text = root_;
      only.items.push_back({st.st_ino, 0, root_.size()});
      queue_.push_back(std::move(only));
      finished_ = true;
      return;
    }
    thread_ = std::thread([this] { produce(); });
  }

  ~Pfind() {
    // Only the last reference is going: no other thread can be in next() or close().
    if (thread_.joinable()) {
      py::gil_scoped_release release;
      cancel();
    }
  }

  py::tuple next() {
    if (busy_) throw py::value_error("pfind iterator already executing");
    busy_ = true;
    struct Unbusy {
      bool& b;
      ~Unbusy() { b = false; }
    } unbusy{busy_};
    while (pos_ == current_.items.size()) {
      if (!pop()) throw py::stop_iteration();
      report_errors();
    }
    const Batch::Item& item = current_.items[pos_++];
    return py::make_tuple(
        item.ino, fs_decode(std::string_view(current_.text).substr(item.offset, item.length)));
  }

  // Stops the walk and joins its threads; later next() calls raise StopIteration.
  void close() {
    {
      py::gil_scoped_release release;
      cancel();
    }
    current_ = Batch();
    pos_ = 0;
    done_ = true;
  }

  py::object stats() const {
    if (!done_) return py::none();
    py::dict d;
    d["directories"] = stats_.directories;
    d["entries"] = stats_.entries;
    d["errors"] = stats_.errors;
    d["stopped"] = stats_.stopped;
    return d;
  }

 private:
  // A per-worker batch, on its own cache line: workers append without locks.
  struct alignas(64) Slot {
    Batch batch;
  };

  // Runs on the producer thread, which is one of the walker's workers.
  void produce() {
    try {
      stats_ = walker_->walk(root_, [this](const WalkEntry& e) {
        if (e.type == DT_DIR) return WalkAction::proceed;
        Batch& b = slots_[e.worker].batch;
        std::size_t offset = b.text.size();
        b.text.append(prefix_).append(e.rel_path);
        b.items.push_back({e.ino, offset, b.text.size() - offset});
        if (b.size() >= batch_size_ && !push(b)) return WalkAction::stop;
        return WalkAction::proceed;
      });
      // Every worker has returned: the partial batches are this thread's now.
      for (Slot& s : slots_) {
        if (s.batch.size() > 0 && !push(s.batch)) break;
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    std::lock_guard lock(mu_);
    finished_ = true;
    not_empty_.notify_all();
  }

  void add_error(const WalkError& e) {
    // on_error runs on the worker that hit the error, but WalkError does not say which one:
    // errors are rare, so they take the lock instead of a slot.
    std::lock_guard lock(mu_);
    errors_.push_back(e);
    not_empty_.notify_one();
  }

  // Moves `b` to the queue, waiting while it is full. Returns false once cancelled.
  bool push(Batch& b) {
    Batch next;
    next.text.reserve(b.text.capacity());
    next.items.reserve(b.items.capacity());
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [this] { return queue_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    queue_.push_back(std::move(b));
    not_empty_.notify_one();
    lock.unlock();
    b = std::move(next);
    return true;
  }

  // Replaces current_ by the next batch (with the walk's errors so far). Returns false at the
  // end, after joining the producer; raises the walk's exception if it failed.
  bool pop() {
    // The batch is taken into a local without the GIL and installed with it: close() from
    // another Python thread may reset current_ meanwhile.
    Batch next;
    {
      py::gil_scoped_release release;
      std::unique_lock lock(mu_);
      for (;;) {
        // Wake up now and then to let Ctrl-C interrupt a long wait.
        bool ready = not_empty_.wait_for(lock, std::chrono::milliseconds(100), [this] {
          return !queue_.empty() || finished_ || cancelled_ || !errors_.empty();
        });
        if (ready) break;
        lock.unlock();
        {
          py::gil_scoped_acquire acquire;
          if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        }
        lock.lock();
      }
      if (!cancelled_) {
        if (!queue_.empty()) {
          next = std::move(queue_.front());
          queue_.pop_front();
          not_full_.notify_one();
        }
        next.errors.insert(next.errors.end(), errors_.begin(), errors_.end());
        errors_.clear();
      }
      if (next.size() == 0) {  // the end (the last errors come before it)
        lock.unlock();
        join();
      }
    }
    current_ = std::move(next);
    pos_ = 0;
    if (current_.size() > 0) return true;
    done_ = true;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return false;
  }

  // Calls onerror(OSError) for each error of the current batch, as os.walk does; without
  // onerror the errors are ignored. An exception from onerror ends the walk and propagates.
  void report_errors() {
    std::vector<WalkError> errors = std::move(current_.errors);
    current_.errors.clear();
    if (onerror_.is_none()) return;
    for (const WalkError& e : errors) {
      try {
        onerror_(make_os_error(e.code, e.path, e.operation));
      } catch (...) {
        close();
        throw;
      }
    }
  }

  // Called without the GIL. Idempotent.
  void cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      not_full_.notify_all();
      not_empty_.notify_all();
    }
    walker_->stop();
    join();
  }

  // Called without the GIL. next() and close() may race from two Python threads.
  void join() {
    std::lock_guard lock(join_mu_);
    if (thread_.joinable()) thread_.join();
  }

  std::string root_;
  std::string prefix_;  // root_ with a trailing '/', as find joins paths
  py::object onerror_;
  std::size_t batch_size_;
  std::size_t capacity_;
  std::optional<Walker> walker_;
  std::vector<Slot> slots_;

  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Batch> queue_;
  std::vector<WalkError> errors_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};  // written under mu_; read without it by on_error
  std::exception_ptr error_;
  std::thread thread_;
  std::mutex join_mu_;

  // Touched only by the Python side, with the GIL.
  Batch current_;
  std::size_t pos_ = 0;
  bool busy_ = false;
  bool done_ = false;
  WalkStats stats_;
};

}  // namespace

void register_pfind(py::module_& m) {
  py::class_<Pfind>(m, "PfindIterator",
                    "The iterator pfind() returns. close() (or leaving a `with` block, or dropping "
                    "it) stops the walk.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &Pfind::next)
      .def("close", &Pfind::close, "Stops the walk and joins its threads. Idempotent.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Pfind& p, py::args) { p.close(); })
      .def_property_readonly(
          "stats", &Pfind::stats,
          "None until the walk is over, then a dict: directories, entries, errors, stopped.");

  m.def(
      "pfind",
      [](const FsPath& path, std::optional<unsigned> threads, std::optional<int> max_depth,
         bool follow_symlinks, bool xdev, bool inode_order, py::object onerror,
         std::size_t batch_size, std::optional<std::size_t> max_batches) {
        if (!onerror.is_none() && !PyCallable_Check(onerror.ptr())) {
          throw py::type_error("onerror must be callable or None");
        }
        PfindOptions o;
        o.threads = threads;
        o.max_depth = max_depth;
        o.follow_symlinks = follow_symlinks;
        o.xdev = xdev;
        o.inode_order = inode_order;
        o.batch_size = batch_size;
        o.max_batches = max_batches;
        return std::make_unique<Pfind>(path.value, o, std::move(onerror));
      },
      py::arg("path") = FsPath{"."}, py::arg("threads") = py::none(),
      py::arg("max_depth") = py::none(), py::kw_only(), py::arg("follow_symlinks") = false,
      py::arg("xdev") = false, py::arg("inode_order") = true, py::arg("onerror") = py::none(),
      py::arg("batch_size") = 1024, py::arg("max_batches") = py::none(),
      R"(Yields (inode, path) for every non-directory under path, as
`find PATH ! -type d -printf '%i\t%p\n'` lists them (paths are path joined with the relative
path; a non-directory path is itself the one result), in no particular order.

The walk runs on `threads` C++ threads (None: the walker's default, CAS_WALK_THREADS) without
the GIL and reads many directories at once; results arrive in batches of batch_size through a
queue of at most max_batches batches (None: 2 per thread), so memory stays bounded. Breaking
out of the loop, close(), or dropping the iterator stops the walk.

max_depth: as find -maxdepth (None: unlimited). follow_symlinks: as find -L (symlink loops are
reported to onerror). xdev: do not descend into other filesystems. inode_order: read
subdirectories in inode order (faster on ext4 with a cold cache).

Raises FileNotFoundError, PermissionError, ... (OSError) at the call when path cannot be
examined or opened. Entries that cannot be read during the walk are passed to onerror(OSError) (with
errno, filename and operation), as os.walk does, and otherwise ignored; an exception raised by
onerror stops the walk and propagates.)");
}

}  // namespace cas::python
