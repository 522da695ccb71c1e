#include "diagnostics.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "cas/errors.hpp"
#include "cli.hpp"

namespace cas::cli {

void print_error(std::string_view what, std::string_view why) {
  // Whatever stdout holds goes out first, so that a terminal shows output and errors in order.
  std::cout.flush();
  std::cerr << "cas: " << what << ": " << why << '\n';
}

void print_message(std::string_view command, std::string_view message) {
  if (message.size() > command.size() && message.starts_with(command) &&
      message[command.size()] == ' ') {
    std::cout.flush();
    std::cerr << "cas: " << message << '\n';
  } else {
    print_error(command, message);
  }
}

int exit_code_for(const std::exception& e) {
  if (dynamic_cast<const UsageError*>(&e) || dynamic_cast<const CLI::ParseError*>(&e) ||
      dynamic_cast<const InvalidHashError*>(&e) || dynamic_cast<const ReadOnlyError*>(&e) ||
      dynamic_cast<const InvalidArgumentError*>(&e) ||
      dynamic_cast<const std::invalid_argument*>(&e)) {
    return kExitUsage;
  }
  return kExitFailed;
}

std::string reason(const std::exception& e) {
  std::string message = e.what();
  if (const auto* insertion = dynamic_cast<const InsertionError*>(&e)) {
    const std::string prefix = "cannot insert " + insertion->source() + ": ";
    if (message.starts_with(prefix))
      return insertion->source() + ": " + message.substr(prefix.size());
  }
  return message;
}

int report(std::string_view command, std::string_view item, const std::exception& e) {
  const auto* io = dynamic_cast<const IoError*>(&e);
  const auto* insertion = dynamic_cast<const InsertionError*>(&e);
  if (dynamic_cast<const InvalidHashError*>(&e) || item.empty() || (io && io->path() == item)) {
    print_error(command, reason(e));
  } else if (std::string message = reason(e); insertion && insertion->source() == item &&
                                              message.starts_with(std::string(item) + ": ")) {
    // reason() gave "<item>: <why>": the subject says <item> already.
    print_error(std::string(command) + " " + std::string(item), message.substr(item.size() + 2));
  } else {
    print_error(std::string(command) + " " + std::string(item), message);
  }
  return exit_code_for(e);
}

void print_unrecognized(std::string_view command, const std::vector<std::string>& paths) {
  const std::size_t shown = std::min(paths.size(), OperationErrors::kMaxErrors);
  for (std::size_t i = 0; i < shown; ++i) print_error(command, "unrecognized file: " + paths[i]);
  if (paths.size() > shown) {
    print_error(command, std::to_string(paths.size()) + " unrecognized files in all, " +
                             std::to_string(shown) + " shown");
  }
}

void print_operation_errors(std::string_view command, const cas::OperationErrors& errors) {
  for (const auto& message : errors.errors) print_message(command, message);
  if (errors.failed > errors.errors.size()) {
    print_error(command, std::to_string(errors.failed) + " failures in all, " +
                             std::to_string(errors.errors.size()) + " shown");
  }
}

}  // namespace cas::cli
