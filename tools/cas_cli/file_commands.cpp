// The per-file commands: put, insert, path, cat, rm, ls.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"

namespace cas::cli {
namespace {

int not_in_store(std::string_view command, const std::string& hash) {
  print_error(std::string(command) + " " + hash, "not in the store");
  return kExitFailed;
}

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
      std::string hash = context.store().put(file, algorithm);
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
};

int run_insert(Context& context, const InsertArgs& args) {
  context.require_writable("insert");
  try {
    if (args.copy) {
      context.store().copy(args.hash, args.file);
    } else {
      context.store().insert(args.hash, args.file);
    }
  } catch (const std::exception& e) {
    return report("insert", args.hash, e);
  }
  return kExitOk;
}

int run_path(Context& context, const std::string& hash) {
  try {
    auto path = context.store().lookup(hash);
    if (!path) return not_in_store("path", hash);
    std::cout << path->string() << '\n';
  } catch (const std::exception& e) {
    return report("path", hash, e);
  }
  return kExitOk;
}

// Copies `fd` to stdout. Raw read/write on Store::open_fd's descriptor rather than
// Store::open's istream: it is binary-safe by construction, costs no copies through stdio, and a
// read error keeps its errno (an istream reports it as end of file).
void copy_to_stdout(int fd, const std::string& path) {
  static constexpr std::size_t kBufferSize = 128 * 1024;
  std::unique_ptr<char[]> buffer(new char[kBufferSize]);
  for (;;) {
    ssize_t got = ::read(fd, buffer.get(), kBufferSize);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno(errno, "read", path);
    if (got == 0) return;
    for (ssize_t done = 0; done < got;) {
      ssize_t n = ::write(STDOUT_FILENO, buffer.get() + done, static_cast<std::size_t>(got - done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno(errno, "write", "stdout");
      done += n;
    }
  }
}

int run_cat(Context& context, const std::string& hash) {
  try {
    std::string path;
    UniqueFd file = context.store().open_fd(hash, &path);
    if (!file) return not_in_store("cat", hash);
    copy_to_stdout(file.get(), path);
    return kExitOk;
  } catch (const std::exception& e) {
    return report("cat", hash, e);
  }
}

int run_rm(Context& context, const std::vector<std::string>& hashes) {
  context.require_writable("rm");
  // Every hash is validated before the first removal: a usage error changes nothing.
  for (const auto& hash : hashes) context.store().preferred_path(hash);
  int code = kExitOk;
  for (const auto& hash : hashes) {
    try {
      context.store().remove(hash);
    } catch (const std::exception& e) {
      code = std::max(code, report("rm", hash, e));
    }
  }
  return code;
}

int run_ls(Context& context) {
  try {
    context.store().walk([](const std::string& hash) { std::cout << hash << '\n'; });
  } catch (const UnrecognizedPathsError& e) {
    for (const auto& path : e.paths()) print_error("ls", "unrecognized file: " + path);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

void add_file_commands(CommandRegistry& registry) {
  auto [put, put_args] = registry.add(
      "put", "Store a copy of each FILE under its hash; print '<hash>  <FILE>' per file",
      "0 every file stored; 1 a file could not be stored (the others are); 2 usage error.",
      run_put);
  put->add_option("FILE", put_args->files, "Files to store (left untouched)")->required();
  put->add_option("--algo", put_args->algorithm, "Hash algorithm: sha1, sha256 or sha512")
      ->type_name("ALGO")
      ->capture_default_str()
      ->check(algorithm_name_check());

  auto [insert, insert_args] = registry.add(
      "insert", "Move FILE into the store under HASH (the content is not checked; see put)",
      "0 inserted; 1 FILE is missing or could not be moved; 2 usage error (bad hash).", run_insert);
  insert->add_option("HASH", insert_args->hash, "The file's hash (lowercase hex)")->required();
  insert->add_option("FILE", insert_args->file, "The file to move into the store")->required();
  insert->add_flag("--copy", insert_args->copy, "Copy FILE instead of moving it");

  auto [path, path_hash] =
      registry.add("path", "Print the path of HASH in the store",
                   "0 found; 1 not in the store; 2 usage error (bad hash).", run_path);
  path->add_option("HASH", *path_hash, "The hash to look up")->required();

  auto [cat, cat_hash] =
      registry.add("cat", "Write the content of HASH to stdout",
                   "0 written; 1 not in the store or a read/write error; 2 usage error.", run_cat);
  cat->add_option("HASH", *cat_hash, "The hash to read")->required();

  auto [rm, rm_hashes] = registry.add(
      "rm", "Remove each HASH under every layout (an absent hash is not an error)",
      "0 removed or absent; 1 a removal failed; 2 usage error (a bad hash: nothing is removed).",
      run_rm);
  rm->add_option("HASH", *rm_hashes, "Hashes to remove")->required();

  registry.add("ls", "List every hash in the store, one per line, in no particular order",
               "0 listed; 1 files that no layout recognizes were found (listed on stderr).",
               run_ls);
}

}  // namespace cas::cli
