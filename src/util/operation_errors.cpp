// OperationErrors and keep_error (operations.hpp): the one cap on the messages a result keeps.
#include <string>
#include <utility>
#include <vector>

#include "cas/operations.hpp"

namespace cas {

void keep_error(std::vector<std::string>& errors, std::string message) {
  if (errors.size() < OperationErrors::kMaxErrors) errors.push_back(std::move(message));
}

void OperationErrors::add(std::string message) {
  ++failed;
  keep_error(errors, std::move(message));
}

void OperationErrors::merge(const OperationErrors& part) {
  failed += part.failed;
  for (const auto& message : part.errors) keep_error(errors, message);
}

}  // namespace cas
