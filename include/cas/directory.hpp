// A directory listing, entry by entry, as the directory itself lists them.
//
// Directory is the C++ form of the reader of the Peloton `directory` Python extension (the
// module whose parallel `pfind` cas's Walker grew from): iterating it yields every entry
// readdir would return, "." and ".." included, in the order the filesystem returns them,
// without a stat per entry (the type comes from d_type; only DT_UNKNOWN costs an lstat). It
// reads with getdents64 into a buffer of its own, as the Walker does.
//
//   for (const cas::Entry& e : cas::Directory("/var/cache/store")) {
//     if (auto sub = e.directory()) { ... }   // recurse
//   }
//
// For whole trees use cas::Walker (<cas/walker.hpp>), which reads many directories at once.
//
// Thread-safety: a Directory (and its iterators) must be used by one thread at a time;
// distinct Directory objects are independent. Entry is an immutable value.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/filesystem/path.hpp>

namespace cas {

class Directory;

// One directory entry: the fields of a struct dirent, plus the path it was found under.
class Entry {
 public:
  Entry() = default;
  Entry(boost::filesystem::path directory, std::string name, ino_t ino, unsigned char type)
      : directory_(std::move(directory)), name_(std::move(name)), ino_(ino), type_(type) {}

  // The inode number the directory listed (d_ino).
  ino_t d_ino() const noexcept { return ino_; }
  // The DT_* type. DT_UNKNOWN from the filesystem has been resolved with lstat (so a symlink is
  // DT_LNK, never its target's type); it stays DT_UNKNOWN only if the entry vanished first.
  unsigned char d_type() const noexcept { return type_; }
  // The entry's name in its directory.
  const std::string& d_name() const noexcept { return name_; }
  // The directory's path joined with d_name().
  boost::filesystem::path path() const { return directory_ / name_; }
  // Opens the entry as a Directory when d_type() is DT_DIR; returns std::nullopt otherwise
  // (symlinks to directories included). "." and ".." are directories too.
  // Throws cas::IoError/PermissionError (naming path()) when it cannot be opened.
  std::optional<Directory> directory() const;

 private:
  boost::filesystem::path directory_;
  std::string name_;
  ino_t ino_ = 0;
  unsigned char type_ = 0;
};

class Directory {
 public:
  // An input iterator over the entries; advancing it reads the directory.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;

    iterator() = default;  // the end
    const Entry& operator*() const { return entry_; }
    const Entry* operator->() const { return &entry_; }
    // Reads the next entry. Throws cas::IoError when the directory cannot be read.
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.dir_ == b.dir_; }

   private:
    friend class Directory;
    explicit iterator(Directory* dir) : dir_(dir) {}
    Directory* dir_ = nullptr;  // null at the end
    Entry entry_;
  };

  // Opens `path` for reading. Throws cas::PermissionError when access is refused and
  // cas::IoError otherwise (ENOENT, ENOTDIR, ...), each naming the path. Follows a symlink.
  explicit Directory(const boost::filesystem::path& path);
  Directory(Directory&& other) noexcept;
  Directory& operator=(Directory&& other) noexcept;
  ~Directory();

  const boost::filesystem::path& path() const noexcept { return path_; }
  // The open directory's descriptor, for *at() calls; owned by the Directory.
  int fd() const noexcept;

  // Starts (or restarts: each call rewinds) the listing. Throws as iterator::operator++.
  // Iterators of a previous begin() are invalidated.
  iterator begin();
  iterator end() noexcept { return iterator(); }

 private:
  struct Handle;
  boost::filesystem::path path_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace cas
