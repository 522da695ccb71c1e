// The exceptions cas throws.
//
// Every failure is a cas::Error (a std::runtime_error), so one catch clause handles them all;
// the subclasses let callers react to a specific cause (a bad argument too: InvalidArgumentError,
// never std::invalid_argument). "Not there" is never an error: lookups
// return std::optional or nullptr instead. Messages name the operation, the path and the
// reason, e.g. "rename 58/4b6ab7/584b... -> 58/584b...: Permission denied".
//
// Thread-safety: exception objects are immutable after construction.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cas {

// Base of every exception thrown by cas.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An argument is out of its documented range or form: an empty root, a negative age, an unknown
// layout or hash algorithm name, a bad pin name, a trim without a bound, a URL that is not
// http(s)... The message names the call or the option and the rejected value. Thrown before
// anything on disk is touched. (A cas::Error, so a std::runtime_error: not a
// std::invalid_argument, whose std::logic_error base would make std::exception ambiguous.)
class InvalidArgumentError : public Error {
 public:
  explicit InvalidArgumentError(const std::string& message) : Error(message) {}
};

// A string given as a hash is not one: not lowercase hex, too short for a layout's prefix,
// longer than 128 characters, or empty. Thrown before anything on disk is touched.
class InvalidHashError : public Error {
 public:
  InvalidHashError(std::string hash, const std::string& why);
  // The rejected input (possibly containing NUL or control characters).
  const std::string& hash() const noexcept { return hash_; }

 private:
  std::string hash_;
};

// A mutating operation was called on a read-only store. operation() is "create" for
// insert/copy/put (and sync, pull), "remove" for remove (and purge, gc, trim), "reap" for
// reap_temp, "migrate", "quarantine" (verify), "pin" and "unpin". subject() is what the
// operation was refused for: the hash (insert, copy, remove), the pin's name (pin, unpin), or the
// store's root (put, whose hash is not known yet; reap_temp, pull and the store-wide operations).
// The message is "cannot <operation> <subject>: the store is read-only". Nothing on disk changed.
class ReadOnlyError : public Error {
 public:
  ReadOnlyError(std::string operation, std::string subject);
  const std::string& operation() const noexcept { return operation_; }
  const std::string& subject() const noexcept { return subject_; }

 private:
  std::string operation_;
  std::string subject_;
};

// insert/copy could not publish a file, for a reason that is not an OS error on the
// store (the source vanished or is not a regular file). Nothing was left behind.
class InsertionError : public Error {
 public:
  InsertionError(std::string source, const std::string& why);
  const std::string& source() const noexcept { return source_; }

 private:
  std::string source_;
};

// An OS call failed. code() is the errno value; path() the path that actually failed (for the
// rename of a lookup's migration, where either side may be at fault: "from -> to").
class IoError : public Error {
 public:
  IoError(int code, const std::string& operation, std::string path);
  int code() const noexcept { return code_; }
  const std::string& path() const noexcept { return path_; }

 protected:
  IoError(int code, std::string path, const std::string& message, int /*tag*/);

 private:
  int code_;
  std::string path_;
};

// An OS call failed for lack of permission: EACCES, EPERM or EROFS. path() names the path
// whose operation was refused (which may be a directory, not the file asked for).
class PermissionError : public IoError {
 public:
  PermissionError(int code, const std::string& operation, std::string path);
};

// The one place an errno value becomes an exception, for the library and for code built on it
// (the cas tools): throws PermissionError for EACCES, EPERM and EROFS, IoError otherwise, with
// the message "<operation> <path>: <strerror(code)>", e.g. throw_errno(errno, "open", path).
[[noreturn]] void throw_errno(int code, const std::string& operation, const std::string& path);

// Files were found under the root that no configured layout recognizes. paths() holds their
// root-relative paths, sorted. Thrown by Store::walk after every hash has been visited.
class UnrecognizedPathsError : public Error {
 public:
  explicit UnrecognizedPathsError(std::vector<std::string> paths);
  const std::vector<std::string>& paths() const noexcept { return paths_; }

 private:
  std::vector<std::string> paths_;
};

// No source gave the content of a hash (cas::fetch): attempts() holds what each one answered,
// in order ("GET https://host/x.tar.gz: HTTP 404"; URLs without their userinfo); the message is
// "fetch <hash>: " and the attempts joined by "; ".
class FetchError : public Error {
 public:
  FetchError(std::string hash, std::vector<std::string> attempts, std::uint64_t bytes = 0);
  const std::string& hash() const noexcept { return hash_; }
  const std::vector<std::string>& attempts() const noexcept { return attempts_; }
  // The bytes received from the sources all the same (wrong content, dropped transfers).
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  std::string hash_;
  std::vector<std::string> attempts_;
  std::uint64_t bytes_;
};

// A file's content does not hash to its name (verify-on-open, put-with-expected-hash).
class CorruptError : public Error {
 public:
  CorruptError(std::string path, std::string expected, std::string actual);
  const std::string& path() const noexcept { return path_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& actual() const noexcept { return actual_; }

 private:
  std::string path_;
  std::string expected_;
  std::string actual_;
};

}  // namespace cas
