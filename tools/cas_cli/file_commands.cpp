// The commands on stored files: path, cat, rm, ls (put and insert: put_commands.cpp).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"

namespace cas::cli {
namespace {

int not_in_store(std::string_view command, const std::string& hash) {
  print_error(std::string(command) + " " + hash, "not in the store");
  return kExitFailed;
}

int run_path(Context& context, const std::string& text) {
  const std::optional<std::string> resolved = resolve_hash(context, "path", text);
  if (!resolved) return not_in_store("path", text);
  const std::string& hash = *resolved;
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

int run_cat(Context& context, const std::string& text) {
  const std::optional<std::string> resolved = resolve_hash(context, "cat", text);
  if (!resolved) return not_in_store("cat", text);
  const std::string& hash = *resolved;
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

int run_rm(Context& context, const std::vector<std::string>& texts) {
  context.require_writable("rm");
  // Every hash is checked before the first removal: a usage error changes nothing.
  std::vector<std::string> hashes;
  for (const auto& text : texts) hashes.push_back(removable_hash(context, "rm", text));
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

// Files that no layout recognizes are not content: they are reported (as stats, verify and
// migrate count them), but listing the content succeeded.
int run_ls(Context& context) {
  try {
    context.store().walk([](const std::string& hash) { std::cout << hash << '\n'; });
  } catch (const UnrecognizedPathsError& e) {
    print_unrecognized("ls", e.paths());
  }
  return kExitOk;
}

}  // namespace

void add_file_commands(CommandRegistry& registry) {
  auto [path, path_hash] = registry.add(
      "path", "Print the path of HASH in the store",
      "0 found; 1 not in the store; 2 usage error (a malformed hash, a prefix of fewer "
      "than 4 digits or one that begins several hashes), or the "
      "root does not exist.",
      RootUse::read_through, run_path);
  path->add_option("HASH", *path_hash,
                   "The hash to look up, or 4 or more of its leading digits if no other stored "
                   "hash begins with them")
      ->required();

  auto [cat, cat_hash] =
      registry.add("cat", "Write the content of HASH to stdout",
                   "0 written; 1 not in the store or a read/write error; 2 usage error (a "
                   "malformed hash, a prefix of fewer than 4 digits or one that begins several "
                   "hashes), or the root does not exist.",
                   RootUse::read_through, run_cat);
  cat->add_option("HASH", *cat_hash,
                  "The hash to read, or 4 or more of its leading digits if no other stored hash "
                  "begins with them")
      ->required();

  auto [rm, rm_hashes] = registry.add(
      "rm", "Remove each HASH under every layout (an absent hash is not an error)",
      "0 removed or absent; 1 a removal failed; 2 usage error (a hash that is not a full "
      "digest: nothing is removed), or the root does not exist.",
      RootUse::existing, run_rm);
  rm->add_option("HASH", *rm_hashes, "Hashes to remove, in full (rm takes no prefix)")->required();

  registry.add("ls", "List every hash in the store, one per line, in no particular order",
               "0 listed (files that no layout recognizes are reported on stderr); 1 a directory "
               "could not be read; 2 the root does not exist.",
               RootUse::existing, run_ls);
}

}  // namespace cas::cli
