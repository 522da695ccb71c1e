// Internal: throw_errno (cas/errors.hpp, the one place an errno value becomes an exception) with
// the current errno.
#pragma once

#include <cerrno>
#include <string>

#include "cas/errors.hpp"

namespace cas {

// Calls throw_errno with the current errno.
[[noreturn]] inline void throw_last_error(const std::string& operation, const std::string& path) {
  throw_errno(errno, operation, path);
}

}  // namespace cas
