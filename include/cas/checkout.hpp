// Checkout: hand stored files out at paths of the caller's (a build's sandbox, a virtualenv, a
// node_modules, an unpacked package) without copying their bytes where the filesystems allow it.
//
// Each file is materialised by one of four means, and the result says which was used, so a
// silent fallback to copying is visible:
//   reflink   a clone (ioctl FICLONE): a file of its own whose data blocks are shared with the
//             stored file until either is written (XFS with reflink=1, btrfs). No data copied.
//   hardlink  link(2) to the stored file: the same inode, no data copied. The stored file first
//             loses its write bits (chmod a-w), so a writer in the tree gets EACCES instead of
//             editing the cache in place for every other user of that hash. Not against root,
//             which ignores write bits: a tree that root (or a process with CAP_DAC_OVERRIDE)
//             may write into should be checked out by reflink or copy.
//   copy      copy_file_range(2) (read/write where the kernel refuses it). The kernel may itself
//             share blocks on XFS and btrfs; the file is independent either way.
//   symlink   a symbolic link to the stored file's absolute path (stored file made read-only
//             as for hardlink). It breaks when the store trims or removes the hash.
// LinkMode::auto_ tries, per file, a reflink where the (store, destination) filesystem pair can
// clone, else a hard link on the same filesystem, else a copy. Whether a pair can clone is
// probed by the first clone tried on it and remembered for the rest of the call (a second call
// probes again: device numbers are reused when filesystems are unmounted and mounted).
//
// Traps, and what is done about each:
//   - LinkMode::reflink where the pair cannot clone is an error (IoError, EOPNOTSUPP, naming
//     both filesystems), never a copy: the caller asked for no data copied.
//   - LinkMode::hardlink across filesystems is an error (IoError, EXDEV) whose message names
//     both filesystems (type, mount point, device).
//   - EMLINK (ext4 caps a file at 65,000 links) falls back to a file of its own for that file
//     (a copy, or a reflink where the pair clones), in hardlink and auto mode alike, counted
//     as such.
//   - A stored file that cannot be made read-only (not its owner; a read-only Store) is never
//     hard-linked: auto copies it, hardlink fails that file.
//   - Executable bits: a hard link shares the stored file's mode. An entry whose executable bit
//     differs from the stored file's gets a file of its own instead (a reflink where the pair
//     clones, else a copy, counted as such), as pnpm keeps a second, executable copy: the
//     stored file's mode is never changed but for its write bits. A symlink has its target's
//     mode. Reflinks and copies get 0777 (executable) or 0666 less the umask.
//
// Replacing: an existing destination that already holds the content is left alone and counted
// as already_there: for symlink mode, a symlink to the stored file; otherwise a regular file with
// the entry's executable bit that is the stored file (hardlink) or has its bytes. Anything else
// that is not a directory is replaced atomically: the new file is made under a temp name in the
// destination's directory and renamed over it. A directory there is an error of that entry.
//
// Interruption: a reflink or copy is written into an anonymous O_TMPFILE in the destination's
// directory and only named once complete (a named temp, unlinked on SIGINT/SIGTERM by
// discard_temp_files_for_exit, where the filesystem has no O_TMPFILE); links and symlinks are
// complete when made. So a checkout interrupted half-way, even by SIGKILL, leaves only complete
// files at their names (and the missing ones absent). Nothing is fsynced: after a power loss a
// recent copy may be empty, as after cp.
//
// Missing hashes: each is looked up with Store::lookup, which reads through the store's remote
// (StoreOptions::remote) when it has one. A hash found nowhere fails its entry; the others go on.
//
// Every system call that creates, links, clones, copies or changes the mode of a file goes
// through the store's FileSystem (StoreOptions::file_system), so a test can inject EMLINK or
// EXDEV; so does making the directories below the destination's root (the root itself, and the
// reads that compare an existing file with the stored one, do not).
//
// Thread-safety: checkout and checkout_tree may be called from any number of threads and
// processes at once, on one store and on overlapping destinations (the last rename wins, and
// every name holds a complete file at every instant).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/filesystem/path.hpp>

#include "cas/operations.hpp"
#include "cas/store.hpp"

namespace cas {

enum class LinkMode { auto_, reflink, hardlink, copy, symlink };

// "auto", "reflink", "hardlink", "copy" or "symlink".
std::string_view to_string(LinkMode mode) noexcept;

// Parses what to_string gives. Throws InvalidArgumentError naming the input otherwise.
LinkMode parse_link_mode(std::string_view name);

// What one checkout did.
enum class CheckoutAction { reflinked, hardlinked, copied, symlinked, already_there };

// "reflinked", "hardlinked", "copied", "symlinked" or "already_there".
std::string_view to_string(CheckoutAction action) noexcept;

// Materialises the stored file of `hash` at `dest` (its parent directories created) by `mode`,
// with the stored file's own executable bit, and returns what was done.
// Throws, before touching anything: InvalidHashError; InvalidArgumentError for an empty `dest`.
// Then: cas::Error "checkout <hash>: not in the store" when neither the store nor its remote
// has it; IoError (EOPNOTSUPP) for reflink where the filesystems cannot clone; IoError
// (EXDEV) for hardlink across filesystems, naming both; PermissionError for hardlink of a stored
// file that cannot be made read-only; IoError (EISDIR) when `dest` is a directory;
// PermissionError/IoError naming the path of any other failed call.
CheckoutAction checkout(Store& store, const std::string& hash, const boost::filesystem::path& dest,
                        LinkMode mode = LinkMode::auto_);

// One file of a tree.
struct CheckoutEntry {
  std::string hash;
  // Relative to the tree's root, '/'-separated: no empty, "." or ".." component, not absolute,
  // no NUL. Parent directories are made as needed; an existing one that is a symlink is not
  // followed (the entry fails), so nothing is written outside the root.
  std::string path;
  bool executable = false;
};

struct CheckoutOptions {
  LinkMode link = LinkMode::auto_;
  // Files materialised at once (threads); 0 picks one per CPU, at most kDefaultJobs. On a local
  // filesystem the work is the kernel's, on the CPUs: more threads than CPUs only contend (XFS,
  // 2 CPUs: a copy of 10,000 files took 0.34 s with 2 threads, 0.51 s with 8; btrfs alike). On
  // a network filesystem, where each call waits on the server, more in flight pay off: give them.
  unsigned jobs = 0;
  static constexpr unsigned kDefaultJobs = 8;
};

struct CheckoutResult : OperationErrors {
  std::uint64_t reflinked = 0;
  std::uint64_t hardlinked = 0;
  std::uint64_t copied = 0;  // EMLINK fallbacks and executable-bit copies included
  std::uint64_t symlinked = 0;
  std::uint64_t already_there = 0;
  std::uint64_t bytes = 0;  // of the stored files reflinked, linked, copied or symlinked
  // failed, errors: entries not laid out ("<path>: <reason>", path relative to the root).

  // Counts one `action` of a file of `size` bytes.
  void count(CheckoutAction action, std::uint64_t size);
};

// Lays out every entry under `dest_root` (created when missing) with `options.jobs` threads,
// and returns the counts. Every hash and path is checked before anything is touched: throws
// InvalidHashError for a bad hash, InvalidArgumentError for a hostile or malformed path, a path
// given twice, or a path that is also another entry's directory. After that, an entry that fails
// (missing hash, a refused link or clone, a directory in the way, an I/O error) is counted in
// `failed` with its message and the others go on; nothing is thrown but std::bad_alloc.
CheckoutResult checkout_tree(Store& store, const std::vector<CheckoutEntry>& entries,
                             const boost::filesystem::path& dest_root,
                             const CheckoutOptions& options = {});

}  // namespace cas
