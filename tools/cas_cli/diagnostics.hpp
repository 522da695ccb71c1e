// Diagnostics: how errors reach the user — `cas: <what>: <why>` on stderr — and which exit
// code each kind of failure gives.
//
// Thread-safety: main thread only.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "cas/operations.hpp"

namespace cas::cli {

// Prints `cas: <what>: <why>` to stderr.
void print_error(std::string_view what, std::string_view why);

// The exit code for an exception that stopped a command: kExitUsage for usage errors (CLI
// and UsageError), invalid hashes, invalid arguments and read-only violations, which are all
// detected before anything is changed; kExitFailed for everything else.
int exit_code_for(const std::exception& e);

// The reason `e` gives, without the prefix the library's InsertionError repeats
// ("cannot insert <src>: "), so that the caller's own subject is not said twice.
std::string reason(const std::exception& e);

// Prints `e` as failing `command` on `item` and returns its exit code. An InvalidHashError
// already quotes the hash, so it is reported under the command alone.
int report(std::string_view command, std::string_view item, const std::exception& e);

// Prints each kept message of `errors` under `command`, then how many more failures there
// were; prints nothing when nothing failed.
void print_operation_errors(std::string_view command, const cas::OperationErrors& errors);

}  // namespace cas::cli
