// cas checkout: hand stored files out at paths of the user's (cas::checkout, cas::checkout_tree)
// — one hash to a file, or every line of a manifest in sha256sum's format under a directory,
// by reflink, hard link, copy or symlink. Every hash and path of a manifest is checked before
// anything is written: a bad one is a usage error that writes nothing.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/filesystem/operations.hpp>

#include "cas/checkout.hpp"
#include "cas/errors.hpp"
#include "checkout/entry_paths.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"
#include "output.hpp"

namespace cas::cli {
namespace {

struct CheckoutArgs {
  std::vector<std::string> words;  // HASH DEST, or DEST_DIR with --manifest
  std::string manifest;            // --manifest FILE
  std::string link = "auto";
  unsigned jobs = 0;
};

// sha256sum's escaping: a line that starts with '\' has "\\", "\n" and "\r" in its name.
std::string unescape(const std::string& name, const std::string& where) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\') {
      out += name[i];
      continue;
    }
    const char next = i + 1 < name.size() ? name[++i] : '\0';
    if (next == '\\')
      out += '\\';
    else if (next == 'n')
      out += '\n';
    else if (next == 'r')
      out += '\r';
    else
      throw UsageError(where, "a bad escape in the path");
  }
  return out;
}

// One line `<hash>  <path>` (or `<hash> *<path>`, sha256sum's binary mode).
CheckoutEntry entry_of(std::string line, const std::string& where) {
  const bool escaped = line.starts_with('\\');
  if (escaped) line.erase(0, 1);
  const auto space = line.find(' ');
  if (space == std::string::npos || space + 2 > line.size() ||
      (line[space + 1] != ' ' && line[space + 1] != '*')) {
    throw UsageError(where, "not a line '<hash>  <path>' as sha256sum prints");
  }
  CheckoutEntry e{line.substr(0, space), line.substr(space + 2), false};
  try {
    require_full_hash(where, e.hash);
  } catch (const InvalidHashError& ex) {
    throw UsageError(where, ex.what());  // with the line that holds it
  }
  if (escaped) e.path = unescape(e.path, where);
  try {
    detail::check_entry_path(e.path);
  } catch (const InvalidArgumentError& ex) {
    throw UsageError(where, ex.what());
  }
  return e;
}

// The entries of `path` ('-': stdin); blank lines and '#' comments skipped.
std::vector<CheckoutEntry> read_manifest(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) throw UsageError("checkout --manifest", path + ": cannot be read");
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<CheckoutEntry> entries;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line.starts_with('#')) continue;
    entries.push_back(entry_of(line, path + ":" + std::to_string(n)));
  }
  if (in.bad()) throw UsageError("checkout --manifest", path + ": read error");
  return entries;
}

void print_summary(const Context& context, const CheckoutResult& r) {
  if (context.quiet()) return;
  std::cout << summary_line("checkout", {{"reflinked", r.reflinked},
                                         {"hardlinked", r.hardlinked},
                                         {"copied", r.copied},
                                         {"symlinked", r.symlinked},
                                         {"already_there", r.already_there},
                                         {"failed", r.failed},
                                         {"bytes", r.bytes}})
            << '\n';
}

int run_manifest(Context& context, const CheckoutArgs& args, LinkMode mode) {
  if (args.words.size() != 1) throw UsageError("checkout", "give --manifest FILE DEST_DIR");
  const std::vector<CheckoutEntry> entries = read_manifest(args.manifest);
  const CheckoutResult r =
      checkout_tree(context.store(), entries, args.words[0], {mode, args.jobs});
  print_operation_errors("checkout", r);
  print_summary(context, r);
  return r.failed > 0 ? kExitFailed : kExitOk;
}

int run_checkout(Context& context, const CheckoutArgs& args) {
  const LinkMode mode = parse_link_mode(args.link);
  if (!args.manifest.empty()) return run_manifest(context, args, mode);
  if (args.jobs > 0) throw UsageError("checkout", "-j goes with --manifest");
  if (args.words.size() != 2) throw UsageError("checkout", "give HASH DEST, or --manifest");
  require_full_hash("checkout", args.words[0]);
  const CheckoutAction action = checkout(context.store(), args.words[0], args.words[1], mode);
  CheckoutResult r;
  boost::system::error_code ec;  // the size for bytes=: of the file now at DEST, 0 if it went
  const auto size =
      action == CheckoutAction::already_there ? 0 : boost::filesystem::file_size(args.words[1], ec);
  r.count(action, ec ? 0 : size);
  print_summary(context, r);
  return kExitOk;
}

}  // namespace

void add_checkout_commands(CommandRegistry& registry) {
  auto [command, args] = registry.add(
      "checkout",
      "Lay the stored file of HASH out at DEST, or every '<hash>  <path>' line of --manifest "
      "FILE (sha256sum's format) under DEST_DIR, by reflink, hard link (the stored file made "
      "read-only first), copy or symlink; prints 'checkout: reflinked=N hardlinked=N copied=N "
      "symlinked=N already_there=N failed=N bytes=N'",
      "0 done; 1 a file failed (a hash in neither the store nor the --remote, --link reflink "
      "where the filesystem cannot clone, --link hardlink across filesystems, an I/O error); 2 "
      "usage error (a bad hash, a path that is absolute or has '..' or empty components, an "
      "unreadable manifest: nothing is written).",
      RootUse::read_through, run_checkout);
  command->add_option("HASH DEST", args->words,
                      "A full digest and the file to make; with --manifest, DEST_DIR");
  command->add_option("--manifest", args->manifest, "Lines '<hash>  <relative path>' ('-': stdin)")
      ->type_name("FILE");
  command
      ->add_option("--link", args->link,
                   "auto (reflink, else hard link on the same filesystem, else copy), reflink, "
                   "hardlink, copy or symlink")
      ->type_name("MODE")
      ->check(CLI::IsMember({"auto", "reflink", "hardlink", "copy", "symlink"}))
      ->capture_default_str();
  command
      ->add_option(
          "-j,--jobs", args->jobs,
          "Files laid out at once, with --manifest (threads; 0: the default, one per CPU up to 8)")
      ->type_name("N")
      ->check(CLI::Range(0u, 1024u).description(""));
}

}  // namespace cas::cli
