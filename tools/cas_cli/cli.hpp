// The pieces every `cas` command shares: exit codes, the global options, the usage error, and
// the registry through which each command group adds its subcommands.
//
// Thread-safety: the tool is single-threaded except for progress callbacks (see progress_bar.hpp).
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tool_cli.hpp"

namespace cas::cli {

// The tool's exit codes; every command documents when it returns which.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,                // the operation failed or was partial
  kExitUsage = tool::kExitUsage,  // bad arguments: nothing was changed
};

// Options given before the command.
struct GlobalOptions {
  std::string root;
  std::string layouts = "v1,v0";
  bool read_only = false;
  bool quiet = false;
  // --remote (or CAS_REMOTE), each value a list of URLs with optional weights
  // (remote_list.hpp): the shared HTTP tier, one server or several sharing the hashes.
  std::vector<std::string> remote;
  bool remote_read_only = false;  // --remote-read-only: read through, never upload
  std::string remote_ca;          // --remote-ca FILE: the CA to trust for https
  std::string remote_header;      // --remote-header (or CAS_REMOTE_HEADER): never printed
};

// Thrown for a usage error found after parsing (a bad hash list, a missing root, ...); main
// prints `cas: <what>: <why>` and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  UsageError(std::string what, const std::string& why)
      : std::runtime_error(why), what_(std::move(what)) {}
  // The subject of the message: a command, an option or a file.
  const std::string& subject() const noexcept { return what_; }

 private:
  std::string what_;
};

class Context;

// What a command needs of --root; main checks it before the command runs, the same way for every
// command. A root that exists but is not a directory is a usage error for all of them.
enum class RootUse {
  // Reads, changes or removes what is there (ls, path, cat, rm, the bulk commands, pin, push):
  // a missing root is a usage error, so that a typo in --root never looks like an empty store.
  existing,
  // Adds content (put, insert, sync, pull): a missing root is created by the first write.
  created,
  // path and cat: `existing`, unless a --remote can fill a new store (not with --read-only).
  read_through,
};

// A command's body: runs after parsing succeeded and returns the exit code.
using Action = std::function<int(Context&)>;

// Collects the subcommands and their actions; main runs the one that was parsed.
class CommandRegistry {
 public:
  explicit CommandRegistry(CLI::App& app) : app_(app) {}

  // Adds a subcommand `name` with `description` and a footer listing its exit codes, and
  // returns it so the caller can add its options. `action` runs when it is the command given,
  // once the root passed the check `root` asks for.
  CLI::App* add(const std::string& name, const std::string& description,
                const std::string& exit_codes, RootUse root, Action action);

  // The same for a command whose arguments are an `Args` that CLI11 fills at parse time and
  // `run` reads when the command runs. Returns the command and its Args, to add the options.
  template <typename Args>
  std::pair<CLI::App*, Args*> add(const std::string& name, const std::string& description,
                                  const std::string& exit_codes, RootUse root,
                                  int (*run)(Context&, const Args&)) {
    auto args = std::make_shared<Args>();
    CLI::App* command = add(name, description, exit_codes, root,
                            [args, run](Context& context) { return run(context, *args); });
    return {command, args.get()};
  }

  // The parsed subcommand, or nullptr when none was parsed.
  struct Command {
    CLI::App* app;
    RootUse root;
    Action action;
  };
  const Command* parsed() const;

 private:
  CLI::App& app_;
  std::vector<Command> commands_;
};

// Accepts exactly what cas::parse_hash_algorithm accepts, with its message otherwise.
const CLI::Validator& algorithm_name_check();

// Each command group adds its subcommands (put_commands.cpp, file_commands.cpp,
// maintenance_commands.cpp, check_commands.cpp, pin_commands.cpp, remote_commands.cpp).
void add_put_commands(CommandRegistry& registry);  // put, insert (put_commands.cpp)
void add_file_commands(CommandRegistry& registry);
void add_maintenance_commands(CommandRegistry& registry);
void add_check_commands(CommandRegistry& registry);
void add_pin_commands(CommandRegistry& registry);
void add_remote_commands(CommandRegistry& registry);    // push, pull (remote_commands.cpp)
void add_fetch_commands(CommandRegistry& registry);     // fetch (fetch_commands.cpp)
void add_checkout_commands(CommandRegistry& registry);  // checkout (checkout_commands.cpp)

// -j/--jobs N: transfers in flight, 0..1024 (0: the default, 16), for push, pull and fetch
// (remote_commands.cpp).
void add_jobs_option(CLI::App* command, unsigned& jobs);

}  // namespace cas::cli
