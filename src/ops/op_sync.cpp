// sync: make a store hold every hash of another store (a resync with a mirror).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/unique_fd.hpp"
#include "store/store_engine.hpp"
#include "util/posix_error.hpp"
#include "util/rel_path.hpp"

namespace cas {
namespace {

using detail::count;
using detail::StoreEngine;
using detail::StoreFile;

// Whether `hash` exists under any layout of the store whose root is open as `root_fd`: 1 yes,
// 0 no, or -errno when a probe failed otherwise than with "no such file" (EACCES, EIO...), so
// the answer is unknown.
int probe_hash(int root_fd, const Store& store, std::string_view hash) {
  int unknown = 0;
  for (const auto& layout : store.layouts()) {
    if (hash.size() < layout->min_hash_length()) continue;
    if (::faccessat(root_fd, layout->lookup(hash).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      return 1;
    }
    if (errno != ENOENT && errno != ENOTDIR) unknown = -errno;
  }
  return unknown;
}

// The copy phase's handling of one source file: publish it in the destination unless present.
class Copier {
 public:
  Copier(Store& store, const SyncOptions& options, int dest_fd, StoreEngine& engine,
         SyncResult& result)
      : store_(store),
        options_(options),
        dest_fd_(dest_fd),
        engine_(engine),
        result_(result),
        preferred_(*store.layouts().front()) {}

  void operator()(const StoreFile& f) {
    if (!f.layout || f.hash.size() < preferred_.min_hash_length()) return;
    // Unknown counts as absent here: the link below then answers (EEXIST when present).
    if (dest_fd_ >= 0 && probe_hash(dest_fd_, store_, f.hash) == 1) {
      count(result_.already_present);
    } else if (options_.dry_run) {
      count(result_.copied);
    } else {
      publish(f, f.entry.st ? static_cast<std::uint64_t>(f.entry.st->st_size) : 0);
    }
  }

 private:
  void publish(const StoreFile& f, std::uint64_t size) {
    const std::string target = preferred_.lookup(f.hash);
    const std::string name(f.entry.name);
    for (int attempt = 0; attempt < 8; ++attempt) {
      // A hard link publishes the complete file under its name in one step.
      if (::linkat(f.entry.parent_fd, name.c_str(), dest_fd_, target.c_str(), 0) == 0) {
        return done(result_.linked, size);
      }
      const int err = errno;
      if (err == EEXIST) return count(result_.already_present);
      if (err == EXDEV || err == EPERM || err == EOPNOTSUPP || err == EMLINK) {
        return copy(f, size);  // another filesystem, or no hard links
      }
      if (err != ENOENT) {
        return engine_.fail_message("link " + engine_.absolute(f.entry.rel_path) + " to " + root() +
                                    "/" + target + ": " + std::strerror(err));
      }
      struct stat st;
      if (::fstatat(f.entry.parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return;  // removed from the source meanwhile
      }
      if (int merr = detail::make_parents_at(dest_fd_, target); merr != 0) {
        return engine_.fail_message("mkdir " + root() + "/" +
                                    std::string(detail::parent_of(target)) + ": " +
                                    std::strerror(merr));
      }
    }
    engine_.fail(f.entry.rel_path, "the target directory keeps disappearing");
  }

  // Copies through a temp file of the destination and publishes it atomically.
  void copy(const StoreFile& f, std::uint64_t size) {
    try {
      store_.copy(f.hash, engine_.absolute(f.entry.rel_path));
      done(result_.copied, size);
    } catch (const Error& e) {
      engine_.fail_message(e.what());  // it names the path that failed
    }
  }

  void done(std::uint64_t& counter, std::uint64_t size) {
    count(counter);
    count(result_.bytes, size);
    engine_.add_bytes(size);
  }

  std::string root() const { return store_.root().string(); }

  Store& store_;
  const SyncOptions& options_;
  const int dest_fd_;
  StoreEngine& engine_;
  SyncResult& result_;
  const Layout& preferred_;
};

// The delete phase: removes the hashes of `store` that `source` (open as source_fd) lacks.
void delete_extras(Store& store, const Store& source, int source_fd, const SyncOptions& options,
                   SyncResult& result) {
  StoreEngine extras(store, options);
  extras.on_file = [&](const StoreFile& f) {
    if (!f.layout) return count(result.unrecognized);  // not content: never deleted
    const int in_source = probe_hash(source_fd, source, f.hash);
    if (in_source == 1) return;
    if (in_source < 0) {  // cannot tell: keep it
      extras.fail_message("look up " + std::string(f.hash) + " in " + source.root().string() +
                          ": " + std::strerror(-in_source));
    } else if (options.dry_run || detail::unlink_file(extras, f.entry)) {
      count(result.deleted);
    }
  };
  if (!options.dry_run) {
    extras.on_directory_exit = [](const WalkEntry& e) { detail::remove_directory(e); };
  }
  extras.run(result);
}

}  // namespace

SyncResult sync(Store& store, const Store& source, const SyncOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("create", store.root().string());
  if (!options.dry_run) {
    boost::system::error_code ec;
    boost::filesystem::create_directories(store.root(), ec);
    if (ec) throw_errno(ec.value(), "mkdir", store.root().string());
  }
  UniqueFd dest_fd(::open(store.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dest_fd && !(options.dry_run && errno == ENOENT)) {
    throw_last_error("open", store.root().string());
  }
  // A missing or unreadable source is an error, never an empty store (with delete_extras it
  // would empty the destination).
  UniqueFd source_fd(::open(source.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!source_fd) throw_last_error("open", source.root().string());

  SyncResult result;
  StoreEngine engine(source, options);
  engine.stat_entries = true;  // sizes for the byte count
  engine.on_file = Copier(store, options, dest_fd.get(), engine, result);
  engine.run(result);
  if (!options.delete_extras || !dest_fd) return result;
  if (result.failed > 0) {
    // As rsync does after an I/O error: a source that could not be read completely must not
    // decide what the destination loses.
    result.add(store.root().string() +
               ": extras not deleted: copying from the source had failures");
    return result;
  }
  delete_extras(store, source, source_fd.get(), options, result);
  return result;
}

}  // namespace cas
