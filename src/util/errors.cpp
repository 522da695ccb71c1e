#include "cas/errors.hpp"

#include <cstring>
#include <string>
#include <utility>

#include "util/posix_error.hpp"

namespace cas {
namespace {

// Hashes reach messages verbatim; control bytes would garble a terminal, so show them escaped.
std::string printable(const std::string& s) {
  static constexpr std::size_t kMaxShown = 140;
  std::string out;
  for (unsigned char c : s.substr(0, kMaxShown)) {
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out;
}

std::string join_paths(const std::vector<std::string>& paths) {
  std::string out;
  for (std::size_t i = 0; i < paths.size() && i < 10; ++i) {
    out += i ? ", " : "";
    out += paths[i];
  }
  if (paths.size() > 10) out += ", ... (" + std::to_string(paths.size()) + " in all)";
  return out;
}

}  // namespace

InvalidHashError::InvalidHashError(std::string hash, const std::string& why)
    : Error("invalid hash '" + printable(hash) + "': " + why), hash_(std::move(hash)) {}

ReadOnlyError::ReadOnlyError(std::string operation, std::string subject)
    : Error("cannot " + operation + " " + subject + ": the store is read-only"),
      operation_(std::move(operation)),
      subject_(std::move(subject)) {}

InsertionError::InsertionError(std::string source, const std::string& why)
    : Error("cannot insert " + source + ": " + why), source_(std::move(source)) {}

IoError::IoError(int code, const std::string& operation, std::string path)
    : IoError(code, path, operation + " " + path + ": " + std::strerror(code), 0) {}

IoError::IoError(int code, std::string path, const std::string& message, int)
    : Error(message), code_(code), path_(std::move(path)) {}

PermissionError::PermissionError(int code, const std::string& operation, std::string path)
    : IoError(code, operation, std::move(path)) {}

UnrecognizedPathsError::UnrecognizedPathsError(std::vector<std::string> paths)
    : Error("unrecognized paths in the store: " + join_paths(paths)), paths_(std::move(paths)) {}

CorruptError::CorruptError(std::string path, std::string expected, std::string actual)
    : Error("corrupt file " + path + ": content hashes to " + actual + ", not " + expected),
      path_(std::move(path)),
      expected_(std::move(expected)),
      actual_(std::move(actual)) {}

namespace {

std::string join_attempts(const std::vector<std::string>& attempts) {
  std::string out;
  for (const auto& a : attempts) out += (out.empty() ? "" : "; ") + a;
  return out.empty() ? "no source to fetch from" : out;
}

}  // namespace

FetchError::FetchError(std::string hash, std::vector<std::string> attempts, std::uint64_t bytes)
    : Error("fetch " + hash + ": " + join_attempts(attempts)),
      hash_(std::move(hash)),
      attempts_(std::move(attempts)),
      bytes_(bytes) {}

void throw_errno(int code, const std::string& operation, const std::string& path) {
  if (code == EACCES || code == EPERM || code == EROFS) {
    throw PermissionError(code, operation, path);
  }
  throw IoError(code, operation, path);
}

}  // namespace cas
