// Internal: one file of a checkout — find the stored file, compare with what is at the
// destination, and choose reflink, hard link, copy or symlink as checkout.hpp describes.
//
// Thread-safety: a Materializer may be used from many threads at once (its ClonePairs is).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "cas/checkout.hpp"
#include "cas/store.hpp"
#include "checkout/directories.hpp"
#include "checkout/filesystems.hpp"
#include "checkout/make_file.hpp"

namespace cas::detail {

// A stored file as the checkout found it.
struct StoredFile {
  std::string path;
  struct stat st;
};

// Whether `dest` (whose lstat is `there`) already holds what a checkout of `src` by `mode`
// with `executable` would make: see checkout.hpp ("Replacing"). Reads both files to compare
// them when they are different inodes of one size. Throws IoError when they cannot be read.
bool already_there(const StoredFile& src, const std::string& dest, const struct stat& there,
                   bool executable, LinkMode mode);

class Materializer {
 public:
  Materializer(Store& store, LinkMode mode, ClonePairs& pairs);

  // Lays the stored file of `hash` out at `dest` (absolute; its directory `dir` exists), with
  // `executable` or, unset, the stored file's own executable bit. Returns what was done and
  // sets *size to the stored file's size. Throws as cas::checkout does.
  CheckoutAction place(const std::string& hash, const std::string& dest, const DestDir& dir,
                       std::optional<bool> executable, std::uint64_t* size);

 private:
  StoredFile find(const std::string& hash);
  // Whether something other than a directory and other than what was asked for is at `dest`;
  // throws AlreadyThere (internal) when it holds that already, IoError (EISDIR) for a directory.
  bool exists_differing(const StoredFile& src, const std::string& dest, bool executable);
  CheckoutAction make(StoredFile& src, const std::string& dest, dev_t dest_dev, bool executable,
                      bool replace);
  CheckoutAction by_auto(StoredFile& src, const std::string& dest, dev_t dest_dev, bool executable,
                         bool replace);
  CheckoutAction by_hardlink(StoredFile& src, const std::string& dest, dev_t dest_dev,
                             bool executable, bool replace);
  // A file of its own: a reflink when the pair may clone (`required`: or else an error), then,
  // unless required, a copy.
  CheckoutAction own_file(const StoredFile& src, const std::string& dest, dev_t dest_dev,
                          bool executable, bool replace, bool clone_required);
  CheckoutAction by_symlink(StoredFile& src, const std::string& dest, bool replace);
  // Clears the stored file's write bits; false when it may not (a read-only Store, EPERM...).
  bool make_read_only(StoredFile& src);
  // Clones the open stored file `in` to dest: true when made; false when the filesystem pair
  // cannot clone (remembered); throws for any other failure.
  bool try_clone(const StoredFile& src, int in, const std::string& dest, dev_t dest_dev,
                 bool executable, bool replace);

  Store& store_;
  FileSystem& fs_;
  FileMaker maker_;
  LinkMode mode_;
  ClonePairs& pairs_;
};

}  // namespace cas::detail
