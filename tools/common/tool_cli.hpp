// What the command lines of cas's programs share (pfind, cas-demo, the bench/ programs): the
// version line, strict non-negative integers, and the usage-error convention — `<tool>: <why>`
// and a hint on stderr, exit status 2. `cas` itself has its own (tools/cas_cli/main.cpp).
//
// Thread-safety: for main() only.
#pragma once

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#ifndef CAS_VERSION
#error "CAS_VERSION is the project version; link the cas-cli-common target (tools/cli_common.cmake)"
#endif

namespace cas::tool {

// The exit status of a usage error: nothing was done.
inline constexpr int kExitUsage = 2;

// Gives `app` a --version flag that prints "<tool> (cas) <project version>".
inline void add_version_flag(CLI::App& app) {
  app.set_version_flag("--version", app.get_name() + " (cas) " CAS_VERSION,
                       "Show the version and exit");
}

// Accepts only plain decimal digits. Typed options alone would also take what CLI11's strtoull
// (base 0) takes: "-1" (as 2^64-1 for a 64-bit option), "+5", "0x10", and "010" as octal 8.
// Put it before any Range or Bound, which convert the text.
inline const CLI::Validator& decimal_check() {
  static const CLI::Validator check(
      [](std::string& text) {
        bool digits =
            !text.empty() && text.size() <= 19 &&  // 19 digits fit in 64 bits
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        return digits ? std::string() : "not a non-negative integer: '" + text + "'";
      },
      "");
  return check;
}

// Adds an option `name` that takes a non-negative decimal integer into `value`, with its default
// shown in --help; returns it for more settings (type_name, a Range after this check).
template <typename T>
CLI::Option* add_number(CLI::App& app, const std::string& name, T& value,
                        const std::string& description) {
  return app.add_option(name, value, description)->capture_default_str()->check(decimal_check());
}

// Prints "<tool>: <why>" and the hint to run --help on stderr; returns kExitUsage.
inline int usage_error(const CLI::App& app, const std::string& why) {
  std::cerr << app.get_name() << ": " << why << "\nTry '" << app.get_name()
            << " --help' for more information.\n";
  return kExitUsage;
}

// Parses the command line into `app`. Returns nothing when the program should go on; else the
// exit status after printing: 0 for --help and --version, kExitUsage for a usage error.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and --version
    return usage_error(app, e.what());
  }
}

}  // namespace cas::tool
