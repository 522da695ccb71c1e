// The commands that bring files into the store: put (copies, hashed on the way; `-` is stdin)
// and insert (a move or copy under a given hash, checked against it unless --no-verify).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"

namespace cas::cli {
namespace {

namespace fs = boost::filesystem;

// The name `put` reads stdin from, as sha256sum and friends have it.
constexpr const char* kStdin = "-";

struct PutArgs {
  std::vector<std::string> files;
  std::string algorithm = "sha256";
};

// "<hash>  <file>" as sha256sum prints it: a name holding a backslash, newline or carriage
// return is escaped (\\, \n, \r) and the line starts with a backslash, so that every
// line stays one line and `gc --keep` can read the output back.
std::string checksum_line(const std::string& hash, const std::string& file) {
  if (file.find_first_of("\\\n\r") == std::string::npos) return hash + "  " + file;
  std::string line = "\\" + hash + "  ";
  for (char c : file) {
    if (c == '\\') {
      line += "\\\\";
    } else if (c == '\n') {
      line += "\\n";
    } else if (c == '\r') {
      line += "\\r";
    } else {
      line += c;
    }
  }
  return line;
}

int run_put(Context& context, const PutArgs& args) {
  context.require_writable("put");
  const HashAlgorithm algorithm = parse_hash_algorithm(args.algorithm);
  int code = kExitOk;
  // Every file is tried: one unreadable file must not stop a batch.
  for (const auto& file : args.files) {
    try {
      // stdin goes through the store's anonymous temp like any file: nothing named is left
      // when the pipe's writer or cas is interrupted.
      std::string hash = file == kStdin ? context.store().put_fd(STDIN_FILENO, algorithm)
                                        : context.store().put(file, algorithm);
      std::cout << checksum_line(hash, file) << '\n';
    } catch (const std::exception& e) {
      code = std::max(code, report("put", file, e));
    }
  }
  return code;
}

struct InsertArgs {
  std::string hash;
  std::string file;
  bool copy = false;
  bool no_verify = false;
};

// Throws UsageError when `file` lies inside the store's root (through a symlink or a bind mount
// too): moving a stored file under another hash loses the one and corrupts the other.
void refuse_source_in_store(const Store& store, const std::string& file) {
  boost::system::error_code ec;
  const fs::path source = fs::canonical(file, ec);
  if (ec) return;  // missing or unreadable: insert reports it
  struct stat root;
  if (::stat(store.root().c_str(), &root) != 0) return;  // no store yet: nothing is inside it
  for (fs::path dir = source.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
      throw UsageError("insert " + file,
                       "inside the store " + store.root().string() +
                           ": a stored file is never inserted (it would replace another)");
    }
    if (dir == dir.root_path()) break;
  }
}

int run_insert(Context& context, const InsertArgs& args) {
  context.require_writable("insert");
  require_full_hash("insert", args.hash);
  refuse_source_in_store(context.store(), args.file);
  // Checked unless told not to: content under the wrong name is worse than none.
  if (!args.no_verify) context.set_verify_on_insert();
  try {
    if (args.copy) {
      context.store().copy(args.hash, args.file);
    } else {
      context.store().insert(args.hash, args.file);
    }
  } catch (const CorruptError& e) {
    print_error("insert " + args.hash, args.file + ": content hashes to " + e.actual() +
                                           ": nothing inserted (--no-verify skips this check)");
    return kExitFailed;
  } catch (const std::exception& e) {
    return report("insert", args.hash, e);
  }
  return kExitOk;
}

}  // namespace

void add_put_commands(CommandRegistry& registry) {
  auto [put, put_args] = registry.add(
      "put", "Store a copy of each FILE under its hash; print '<hash>  <FILE>' per file",
      "0 every file stored; 1 a file could not be stored (the others are); 2 usage error.",
      RootUse::created, run_put);
  put->add_option("FILE", put_args->files,
                  "Files to store (left untouched); '-' reads stdin (a file named '-': './-')")
      ->required();
  put->add_option("--algo", put_args->algorithm, "Hash algorithm: sha1, sha256 or sha512")
      ->type_name("ALGO")
      ->capture_default_str()
      ->check(algorithm_name_check());

  auto [insert, insert_args] = registry.add(
      "insert",
      "Move FILE into the store under HASH, after checking that its content hashes to HASH",
      "0 inserted; 1 FILE is missing, could not be moved, or its content does not hash to HASH; "
      "2 usage error (a hash that is not a full digest, FILE inside the store).",
      RootUse::created, run_insert);
  insert
      ->add_option("HASH", insert_args->hash,
                   "The file's hash: a full sha1, sha256 or sha512 digest (40, 64 or 128 "
                   "lowercase hex digits)")
      ->required();
  insert->add_option("FILE", insert_args->file, "The file to move into the store")->required();
  insert->add_flag("--copy", insert_args->copy, "Copy FILE instead of moving it");
  insert->add_flag("--no-verify", insert_args->no_verify,
                   "Do not read FILE to check its hash (faster; a wrong HASH then stores the "
                   "content under the wrong name until 'cas verify' finds it)");
}

}  // namespace cas::cli
