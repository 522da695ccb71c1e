// sync: make a store hold every hash of another store (a resync with a mirror).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "posix_error.hpp"
#include "store_engine.hpp"
#include "unique_fd.hpp"

namespace cas {
namespace {

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

}  // namespace

SyncResult sync(Store& store, const Store& source, const SyncOptions& options) {
  if (store.read_only() && !options.dry_run) throw ReadOnlyError("create", store.root().string());
  SyncResult result;
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
  const Layout& preferred = *store.layouts().front();
  std::atomic<std::uint64_t> linked{0}, copied{0}, present{0}, bytes{0}, deleted{0};

  StoreEngine engine(source, options);
  engine.stat_entries = true;  // sizes for the byte count
  engine.on_file = [&](const StoreFile& f) {
    if (!f.layout || f.hash.size() < preferred.min_hash_length()) return;
    // Unknown counts as absent here: the link below then answers (EEXIST when present).
    if (dest_fd && probe_hash(dest_fd.get(), store, f.hash) == 1) {
      present.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::uint64_t size = f.entry.st ? static_cast<std::uint64_t>(f.entry.st->st_size) : 0;
    if (options.dry_run) {
      copied.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::string target = preferred.lookup(f.hash);
    const std::string name(f.entry.name);
    for (int attempt = 0; attempt < 8; ++attempt) {
      // A hard link publishes the complete file under its name in one step.
      if (::linkat(f.entry.parent_fd, name.c_str(), dest_fd.get(), target.c_str(), 0) == 0) {
        linked.fetch_add(1, std::memory_order_relaxed);
        bytes.fetch_add(size, std::memory_order_relaxed);
        engine.add_bytes(size);
        return;
      }
      int err = errno;
      if (err == EEXIST) {
        present.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (err == ENOENT) {
        struct stat st;
        if (::fstatat(f.entry.parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          return;  // removed from the source meanwhile
        }
        if (int merr = detail::make_parents_at(dest_fd.get(), target); merr != 0) {
          engine.fail(f.entry.rel_path, "mkdir in " + store.root().string(), merr);
          return;
        }
        continue;
      }
      if (err == EXDEV || err == EPERM || err == EOPNOTSUPP || err == EMLINK) {
        // Another filesystem (or no hard links): copy through a temp file and publish.
        try {
          store.copy(f.hash, engine.absolute(f.entry.rel_path));
          copied.fetch_add(1, std::memory_order_relaxed);
          bytes.fetch_add(size, std::memory_order_relaxed);
          engine.add_bytes(size);
        } catch (const Error& e) {
          engine.fail(f.entry.rel_path, e.what());
        }
        return;
      }
      engine.fail(f.entry.rel_path, "link into " + store.root().string(), err);
      return;
    }
    engine.fail(f.entry.rel_path, "the target directory keeps disappearing");
  };
  engine.run();
  engine.take_errors(result);

  if (options.delete_extras && dest_fd && result.failed > 0) {
    // As rsync does after an I/O error: a source that could not be read completely must not
    // decide what the destination loses.
    result.failed += 1;
    if (result.errors.size() < OperationErrors::kMaxErrors) {
      result.errors.push_back(store.root().string() +
                              ": extras not deleted: copying from the source had failures");
    }
  } else if (options.delete_extras && dest_fd) {
    StoreEngine extras(store, options);
    extras.on_file = [&](const StoreFile& f) {
      if (!f.layout) return;
      const int in_source = probe_hash(source_fd.get(), source, f.hash);
      if (in_source == 1) return;
      if (in_source < 0) {  // cannot tell: keep it
        extras.fail(f.entry.rel_path, "look up in " + source.root().string(), -in_source);
        return;
      }
      if (options.dry_run) {
        deleted.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (::unlinkat(f.entry.parent_fd, std::string(f.entry.name).c_str(), 0) == 0) {
        deleted.fetch_add(1, std::memory_order_relaxed);
      } else if (errno != ENOENT) {
        extras.fail(f.entry.rel_path, "unlink", errno);
      }
    };
    if (!options.dry_run) {
      extras.on_directory_exit = [](const WalkEntry& e) {
        ::unlinkat(e.parent_fd, std::string(e.name).c_str(), AT_REMOVEDIR);
      };
    }
    extras.run();
    extras.take_errors(result);
  }
  result.linked = linked;
  result.copied = copied;
  result.already_present = present;
  result.deleted = deleted;
  result.bytes = bytes;
  return result;
}

}  // namespace cas
