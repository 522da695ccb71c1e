#include "diagnostics.hpp"

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
  if (dynamic_cast<const InvalidHashError*>(&e) || item.empty()) {
    print_error(command, reason(e));
  } else {
    print_error(std::string(command) + " " + std::string(item), reason(e));
  }
  return exit_code_for(e);
}

void print_operation_errors(std::string_view command, const cas::OperationErrors& errors) {
  for (const auto& message : errors.errors) print_error(command, message);
  if (errors.failed > errors.errors.size()) {
    print_error(command, std::to_string(errors.failed) + " failures in all, " +
                             std::to_string(errors.errors.size()) + " shown");
  }
}

}  // namespace cas::cli
