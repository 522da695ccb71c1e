// Context: what a command runs against — the validated global options and the store they name.
//
// Thread-safety: used by the main thread only.
#pragma once

#include <memory>
#include <string>

#include <boost/filesystem/path.hpp>

#include "cas/remote.hpp"
#include "cas/store.hpp"
#include "cli.hpp"

namespace cas::cli {

class Context {
 public:
  // Validates the global options and opens (touching nothing on disk) the store they name,
  // with the --remote tier when given: one server, or several sharing the hashes
  // (cas::ShardedRemote; remote_list.hpp has the syntax). Its failures are printed as
  // `cas: remote: <why>`. Throws UsageError for an empty --root, a bad --layouts, or a bad
  // --remote URL or list.
  explicit Context(GlobalOptions options);

  const GlobalOptions& options() const { return options_; }
  bool quiet() const { return options_.quiet; }

  // True when bulk commands draw a progress bar: stderr is a terminal and --quiet is not set.
  bool show_progress() const;

  cas::Store& store() { return *store_; }

  // Makes the store hash what insert and copy are given and refuse a mismatch
  // (StoreOptions::verify_on_insert). Call before the store is used: it is opened anew.
  void set_verify_on_insert();

  // A client of --remote with up to `max_in_flight` requests at once per server (0: the
  // default), for push and pull: a ShardedRemote when --remote names several servers. Throws
  // UsageError("<command>", ...) when no --remote was given.
  std::shared_ptr<cas::Remote> remote(const std::string& command, unsigned max_in_flight) const;

  // `code`, or kExitFailed when it is kExitOk but the store reported a remote failure (a
  // write through refused: the local write is done, the shared copy is not).
  int with_remote_failures(int code) const;

  // Opens another store with the same layouts (sync's source), read-only so that looking
  // files up in it never migrates them.
  std::unique_ptr<cas::Store> open_source(const boost::filesystem::path& root) const;

  // Throws UsageError("<command>", "<root>: not a directory") when the root exists but is not a
  // directory, and UsageError("<command>", "<root>: no such directory") when it is missing and
  // `use` does not let the command create it (see RootUse).
  void check_root(RootUse use, const std::string& command) const;

  // check_root(RootUse::existing, command), for cas-mpi's commands.
  void require_existing_root(const std::string& command) const {
    check_root(RootUse::existing, command);
  }

  // Throws UsageError when --read-only was given to a command that writes: nothing is touched.
  void require_writable(const std::string& command) const;

 private:
  GlobalOptions options_;
  std::unique_ptr<cas::Store> store_;
};

}  // namespace cas::cli
