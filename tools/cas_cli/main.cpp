// cas: the command-line tool for content-addressed stores.
//
// main wires the global options and the command groups into CLI11, parses, runs the one
// command given, and turns every exception into a `cas: <what>: <why>` message and an exit
// code: 0 success, 1 the operation failed or was partial, 2 a usage error. None escapes.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cas/hash.hpp"
#include "cli.hpp"
#include "context.hpp"
#include "diagnostics.hpp"
#include "exit_signals.hpp"

// CAS_VERSION, the project() version, comes from the cas-cli-common target
// (tools/cli_common.cmake), as it does for every tool.
#ifndef CAS_VERSION
#error "CAS_VERSION is the project version; link the cas-cli-common target"
#endif

namespace cas::cli {

CLI::App* CommandRegistry::add(const std::string& name, const std::string& description,
                               const std::string& exit_codes, RootUse root, Action action) {
  CLI::App* command = app_.add_subcommand(name, description);
  command->footer("Exit status: " + exit_codes);
  commands_.push_back({command, root, std::move(action)});
  return command;
}

const CommandRegistry::Command* CommandRegistry::parsed() const {
  for (const auto& command : commands_) {
    if (command.app->parsed()) return &command;
  }
  return nullptr;
}

namespace {

// `cas help [COMMAND [SUBCOMMAND]]`: what `cas [COMMAND...] --help` prints, without a --root.
int run_help(CLI::App& app, const std::vector<std::string>& topic) {
  CLI::App* target = &app;
  std::string words;
  for (const auto& word : topic) {
    words += (words.empty() ? "" : " ") + word;
    CLI::App* next = nullptr;
    for (CLI::App* sub : target->get_subcommands({})) {
      if (sub->get_name() == word) next = sub;
    }
    if (!next) {
      print_error("help", "unknown command '" + words + "'");
      std::cerr << "Run 'cas --help' for usage.\n";
      return kExitUsage;
    }
    target = next;
  }
  // Not target->help(): that shows the parsed subcommand's help, which is help's own.
  std::cout << target->get_formatter()->make_help(target, words.empty() ? "cas" : "cas " + words,
                                                  CLI::AppFormatMode::Normal);
  return kExitOk;
}

// The global options, which every command but help needs, into `global`. Returns --root's
// option: its presence is checked after parsing.
CLI::Option* add_global_options(CLI::App& app, GlobalOptions& global) {
  CLI::Option* root = app.add_option("--root", global.root, "The store's root directory (required)")
                          ->type_name("DIR");
  app.add_option(
         "--layouts", global.layouts,
         "Lookup order of the layouts, the first preferred: v1, v0, bazel-repo, fanout:W[,W...] "
         "(e.g. v1,fanout:2,2,v0)")
      ->type_name("LIST")
      ->capture_default_str();
  app.add_flag("--read-only", global.read_only,
               "Never change the store (lookups do not migrate; writing commands are refused)");
  app.add_option("--remote", global.remote,
                 "A shared HTTP cache, BASE/cas/<hash> (bazel-remote, nginx WebDAV): path and cat "
                 "read through it, put and insert write through it, push and pull sync with it. "
                 "Credentials: http://user:password@host/, or ~/.netrc. Or s3://BUCKET[/PREFIX]: "
                 "an S3 bucket (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, "
                 "AWS_ENDPOINT_URL). Given several times (or as a space-separated list), the "
                 "servers share the hashes by rendezvous hashing; 'URL weight=W' gives a server W "
                 "times the share of a weight-1 one")
      ->type_name("URL")
      ->allow_extra_args(false)
      ->envname("CAS_REMOTE");
  app.add_flag("--remote-read-only", global.remote_read_only,
               "Read through the remote, never upload to it");
  app.add_option("--remote-ca", global.remote_ca,
                 "The CA certificate (PEM) to trust for an https remote, instead of the system's")
      ->type_name("FILE");
  app.add_option("--remote-header", global.remote_header,
                 "A header sent with every request to the remote, e.g. 'Authorization: Bearer "
                 "TOKEN' (prefer the environment variable: a command line is visible to others)")
      ->type_name("HEADER")
      ->envname("CAS_REMOTE_HEADER");
  app.add_flag("-q,--quiet", global.quiet,
               "No progress bar and no summary line (errors are still printed)");
  return root;
}

// `cas help`, whose topic goes to `topic`.
CLI::App* add_help_command(CLI::App& app, std::vector<std::string>& topic) {
  CLI::App* help = app.add_subcommand(
      "help", "Print this help, or a command's ('cas help gc', as 'cas gc --help'); no --root");
  help->add_option("COMMAND", topic, "The command (and pin's subcommand: 'help pin add')");
  help->footer("Exit status: 0 printed; 2 an unknown command.");
  return help;
}

// After a failed parse: says what was wrong and returns the exit code.
int parse_failure(const CLI::App& app, const CLI::ParseError& e) {
  // --help and --version are "errors" with exit code 0; CLI11 prints them.
  if (e.get_exit_code() == 0) return app.exit(e);
  // A mistyped command (or `pin` subcommand) is left over as an extra word: name it rather
  // than say none was given.
  const CLI::App* parent = &app;
  std::string words;
  while (!parent->get_subcommands().empty()) {
    parent = parent->get_subcommands().front();
    words += parent->get_name() + " ";
  }
  const auto rest = app.remaining();
  const bool expects_command = parent->get_require_subcommand_min() > 0;
  if (expects_command && !rest.empty() && !rest.front().starts_with('-')) {
    print_error("usage", "unknown command '" + words + rest.front() + "'");
  } else {
    print_error("usage", e.what());
  }
  std::cerr << "Run 'cas --help' for usage.\n";
  return kExitUsage;
}

// Runs the parsed `command` on the store `global` names; every exception becomes its message
// and exit code.
int run_command(const CommandRegistry::Command& command, const GlobalOptions& global) {
  // The command as typed: "pin add" rather than "pin".
  std::string name = command.app->get_name();
  for (const CLI::App* sub : command.app->get_subcommands()) name += " " + sub->get_name();
  try {
    Context context(global);
    context.check_root(command.root, name);
    int code = context.with_remote_failures(command.action(context));
    std::cout.flush();
    if (!std::cout) {
      print_error(name, "cannot write to stdout");
      return kExitFailed;
    }
    return code;
  } catch (const UsageError& e) {
    print_error(e.subject(), e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    return report(name, "", e);
  }
}

int run(int argc, char** argv) {
  CLI::App app(
      "Content-addressed file stores: put, find, list and remove files named by their "
      "hash; migrate, purge, trim, mirror, verify and measure whole stores; pin what must stay.",
      "cas");
  app.set_version_flag("--version", "cas " CAS_VERSION);
  app.footer(
      "Exit status: 0 success; 1 the operation failed or was partial; 2 usage error (nothing was "
      "changed).\nRun 'cas help COMMAND' (or 'cas COMMAND --help') for a command's options.");
  // Global options may also follow the command (`cas ls --root DIR`).
  app.fallthrough();
  app.require_subcommand(1);

  GlobalOptions global;
  CLI::Option* root = add_global_options(app, global);
  CommandRegistry registry(app);
  add_put_commands(registry);
  add_file_commands(registry);
  add_maintenance_commands(registry);
  add_check_commands(registry);
  add_pin_commands(registry);
  add_remote_commands(registry);
  add_fetch_commands(registry);
  add_checkout_commands(registry);
  std::vector<std::string> help_topic;
  CLI::App* help = add_help_command(app, help_topic);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e);
  }
  if (help->parsed()) return run_help(app, help_topic);
  if (root->count() == 0) {
    print_error("usage", "--root is required");
    std::cerr << "Run 'cas --help' for usage.\n";
    return kExitUsage;
  }
  const CommandRegistry::Command* command = registry.parsed();
  if (!command) {  // require_subcommand(1) makes this unreachable; stay defensive all the same
    print_error("usage", "no command given");
    return kExitUsage;
  }
  return run_command(*command, global);
}

}  // namespace
}  // namespace cas::cli

int main(int argc, char** argv) {
  try {
    cas::cli::handle_exit_signals();
    return cas::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cas: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "cas: unknown error\n");
  }
  return cas::cli::kExitFailed;
}
