// Diagnostics: how errors reach the user — `cas: <what>: <why>` on stderr — and which exit
// code each kind of failure gives.
//
// Thread-safety: main thread only.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "cas/operations.hpp"

namespace cas::cli {

// Prints `cas: <what>: <why>` to stderr.
void print_error(std::string_view what, std::string_view why);

// Prints a message of the library's about `command` ("<operation> <path>: <reason>"): as
// `cas: <message>` when it already starts with the command's name (pull's "pull <hash>: not
// on the remote (404)"), else as `cas: <command>: <message>`, so nothing is said twice.
void print_message(std::string_view command, std::string_view message);

// The exit code for an exception that stopped a command: kExitUsage for usage errors (CLI
// and UsageError), invalid hashes, invalid arguments and read-only violations, which are all
// detected before anything is changed; kExitFailed for everything else.
int exit_code_for(const std::exception& e);

// The reason `e` gives, without the prefix the library's InsertionError repeats
// ("cannot insert <src>: "), so that the caller's own subject is not said twice.
std::string reason(const std::exception& e);

// Prints `e` as failing `command` on `item` and returns its exit code, saying each thing once:
// `cas: <command> <item>: <why>`, or `cas: <command>: <e.what()>` when the message names `item`
// itself (an InvalidHashError quotes the hash; an IoError on `item` reads "open <item>: ...").
// An InsertionError about `item` gives only its reason: `cas: put a.txt: no such file`.
int report(std::string_view command, std::string_view item, const std::exception& e);

// Prints the first OperationErrors::kMaxErrors of `paths` (files that no layout recognizes,
// root-relative) as `cas: <command>: unrecognized file: <path>`, then how many there were in
// all when some were not shown. They are not content: reporting them is not a failure.
void print_unrecognized(std::string_view command, const std::vector<std::string>& paths);

// Prints each kept message of `errors` under `command`, then how many more failures there
// were; prints nothing when nothing failed.
void print_operation_errors(std::string_view command, const cas::OperationErrors& errors);

}  // namespace cas::cli
