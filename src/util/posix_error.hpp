// Internal: the one place an errno value becomes an exception.
#pragma once

#include <cerrno>
#include <string>

namespace cas {

// Throws PermissionError for EACCES, EPERM and EROFS, IoError otherwise. The message is
// "<operation> <path>: <strerror(code)>".
[[noreturn]] void throw_errno(int code, const std::string& operation, const std::string& path);

// Calls throw_errno with the current errno.
[[noreturn]] inline void throw_last_error(const std::string& operation, const std::string& path) {
  throw_errno(errno, operation, path);
}

}  // namespace cas
