// Internal: the one door into a Store for bytes that arrive from elsewhere (cas::pull from a
// Remote, a download). They are written into temp files of the store's own temp area (anonymous
// where the filesystem has O_TMPFILE, so a writer that dies leaves nothing) and published under
// their hash as put's are: fsync as the durability asks, the name linked in, the other layouts'
// copies removed, the automatic trimmer told. Code outside src/store/ reaches a store's insides
// only through this class.
//
// Thread-safety: as Store's; an IncomingFile belongs to one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cas/remote.hpp"
#include "cas/store.hpp"
#include "store/temp_area.hpp"

namespace cas::detail {

// A temp file being filled, not yet under any name. Closed and removed unless published.
class IncomingFile {
 public:
  IncomingFile(IncomingFile&&) noexcept = default;
  // Open for reading and writing.
  int fd() const { return guard_.fd(); }
  // What error messages call it: its path, or "<temp area>/(anonymous)".
  const std::string& display() const { return display_; }

 private:
  friend class Incoming;
  IncomingFile(TempGuard guard, std::string name, std::string display)
      : guard_(std::move(guard)), name_(std::move(name)), display_(std::move(display)) {}
  TempGuard guard_;
  std::string name_;  // "" when anonymous
  std::string display_;
};

class Incoming {
 public:
  // The door of `store`. Throws ReadOnlyError("create", root) when the store is read-only.
  explicit Incoming(Store& store);

  // A new empty temp file. Throws PermissionError/IoError (the temp area cannot be written).
  IncomingFile create();

  // Gives `file` the name `hash`. The caller has checked that its bytes hash to `hash` (a valid
  // hash of the preferred layout: InvalidHashError otherwise). Throws PermissionError/IoError;
  // nothing is published then and the temp is gone either way.
  void publish(IncomingFile file, std::string_view hash, Durability durability);

  // Fetches `hashes` (valid remote hashes) from `remote` into temp files, with the remote's
  // requests in flight, and publishes each one that arrived verified (RemoteStatus::present)
  // while the others are still in flight. Returns the results in order. Throws
  // PermissionError/IoError when a temp file cannot be made or a file published (the other
  // temps are removed).
  std::vector<RemoteResult> fetch(Remote& remote, const std::vector<std::string>& hashes,
                                  Durability durability);

 private:
  StoreImpl& impl_;
};

}  // namespace cas::detail
