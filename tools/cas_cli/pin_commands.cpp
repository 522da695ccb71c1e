// `cas pin add|ls|rm`: named sets of hashes that trim and gc never remove (cas/pins.hpp).
//
// `pin ls` prints one line per pin, sorted by name, fields separated by two spaces:
//   "<name>  <hashes>  <expires>" where <expires> is "never" or an ISO-8601 UTC time
//   ("2026-12-01T09:30:00Z"), followed by " (expired)" once that time has passed.
// Pin names never hold blanks, so the line splits on whitespace.
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "cas/pins.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "hash_args.hpp"
#include "hash_list.hpp"
#include "units.hpp"

namespace cas::cli {
namespace {

struct PinAddArgs {
  std::string name;
  std::optional<std::string> ttl;
  std::vector<std::string> hashes;
  std::vector<std::string> keep_files;
};

int run_pin_add(Context& context, const PinAddArgs& args) {
  context.require_writable("pin add");
  std::optional<std::chrono::seconds> ttl;
  if (args.ttl) {
    try {
      ttl = parse_age(*args.ttl);
    } catch (const std::invalid_argument& e) {
      throw UsageError("--ttl", e.what());
    }
    // A pin that has expired when it is written protects nothing: surely not what was meant.
    if (ttl->count() == 0) throw UsageError("--ttl", "'" + *args.ttl + "' is not a positive age");
  }
  if (args.hashes.empty() && args.keep_files.empty()) {
    throw UsageError("pin add", "give the hashes to pin, or --keep FILE");
  }
  for (const auto& hash : args.hashes) require_full_hash("pin add", hash);
  std::unordered_set<std::string> listed;
  for (const auto& file : args.keep_files) read_hash_list_file(file, listed);
  // Sorted and once each: the pin file is the same whatever order the hashes came in.
  std::set<std::string> hashes(listed.begin(), listed.end());
  hashes.insert(args.hashes.begin(), args.hashes.end());
  try {
    add_pin(context.store(), args.name, {hashes.begin(), hashes.end()}, ttl);
  } catch (const std::exception& e) {
    return report("pin add", "", e);
  }
  return kExitOk;
}

std::string expires_text(const PinInfo& pin) {
  if (!pin.expires) return "never";
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(pin.expires->time_since_epoch()).count();
  return format_utc(seconds) + (pin.expired ? " (expired)" : "");
}

int run_pin_ls(Context& context) {
  std::vector<PinInfo> pins;
  try {
    pins = list_pins(context.store());
  } catch (const std::exception& e) {
    return report("pin ls", "", e);
  }
  for (const auto& pin : pins) {
    std::cout << pin.name << "  " << pin.hashes << "  " << expires_text(pin) << '\n';
  }
  return kExitOk;
}

int run_pin_rm(Context& context, const std::string& name) {
  context.require_writable("pin rm");
  try {
    if (!remove_pin(context.store(), name)) {
      print_error("pin rm " + name, "no such pin");
      return kExitFailed;
    }
  } catch (const std::exception& e) {
    return report("pin rm", "", e);
  }
  return kExitOk;
}

}  // namespace

void add_pin_commands(CommandRegistry& registry) {
  // `pin` itself only dispatches: its subcommands carry the arguments.
  struct Pin {
    CLI::App* add = nullptr;
    CLI::App* ls = nullptr;
    CLI::App* rm = nullptr;
    PinAddArgs add_args;
    std::string rm_name;
  };
  auto pin = std::make_shared<Pin>();
  CLI::App* command = registry.add(
      "pin",
      "Keep hashes from trim and gc: 'pin add NAME', 'pin ls', 'pin rm NAME' (see 'cas pin "
      "COMMAND --help')",
      "0 done; 1 'pin rm' of a pin that does not exist, or a pin could not be written or read; "
      "2 usage error (a bad name, hash, list or AGE; a writing subcommand with --read-only), or "
      "the root does not exist.",
      // A pin in a store that is not there protects nothing: a typo in --root must not pass.
      RootUse::existing, [pin](Context& context) {
        if (pin->add->parsed()) return run_pin_add(context, pin->add_args);
        if (pin->rm->parsed()) return run_pin_rm(context, pin->rm_name);
        return run_pin_ls(context);
      });
  command->require_subcommand(1);

  pin->add = command->add_subcommand(
      "add", "Create or replace the pin NAME holding the HASHes and the hashes listed by --keep");
  pin->add->footer(
      "Exit status: 0 pinned; 1 the pin could not be written; 2 usage error (a bad name, hash, "
      "list or AGE; --read-only), or the root does not exist.");
  pin->add
      ->add_option("NAME", pin->add_args.name,
                   "The pin's name: 1 to 200 of A-Z a-z 0-9 _ . - (not starting with '.')")
      ->required();
  pin->add->add_option("HASH", pin->add_args.hashes,
                       "Hashes to pin: full sha1, sha256 or sha512 digests");
  pin->add
      ->add_option("--keep", pin->add_args.keep_files,
                   "A list of hashes to pin, as 'gc --keep' reads it ('-': stdin); may be "
                   "repeated")
      ->type_name("FILE")
      ->allow_extra_args(false);
  pin->add
      ->add_option_function<std::string>(
          "--ttl", [pin](const std::string& text) { pin->add_args.ttl = text; },
          "A lease: the pin expires this long from now (a positive number with s, m, h or d, "
          "e.g. 12h); default: never")
      ->type_name("AGE");

  pin->ls = command->add_subcommand("ls", "List the pins: 'NAME  HASHES  EXPIRES' per line");
  pin->ls->footer("Exit status: 0 listed; 1 a pin could not be read; 2 the root does not exist.");

  pin->rm = command->add_subcommand("rm", "Remove the pin NAME (its hashes are no longer kept)");
  pin->rm->footer(
      "Exit status: 0 removed; 1 there is no such pin, or it could not be removed; 2 usage "
      "error (a bad name; --read-only), or the root does not exist.");
  pin->rm->add_option("NAME", pin->rm_name, "The pin to remove")->required();
}

}  // namespace cas::cli
