// The bounds of `trim` on the command line, shared by `cas trim` and `cas-mpi trim` so that both
// accept, check and name them alike.
//
// Thread-safety: main thread only (CLI11 fills the arguments).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "bulk_command.hpp"
#include "cas/operations.hpp"

namespace cas::cli {

// The bounds as given: parsed (and so checked) by trim_options, to name a bad value.
// (Optional strings, so that an empty value is an error rather than no bound.)
struct TrimArgs : BulkArgs {
  std::optional<std::string> max_size;
  std::optional<std::string> max_files;
  std::optional<std::string> max_age;
  std::optional<std::string> min_free;
  std::string low_water = "90";
};

// Adds --max-size, --max-files, --max-age, --min-free and --low-water to `command` (not -j/-n).
void add_trim_options(CLI::App* command, TrimArgs& args);

// The TrimOptions of `args`. Throws UsageError naming the option whose value is bad, or when
// no bound is given.
TrimOptions trim_options(const TrimArgs& args);

}  // namespace cas::cli
