// Content hashing: SHA-1, SHA-256 and SHA-512 digests as lowercase hex.
//
// The implementation uses OpenSSL's EVP interface; OpenSSL never appears in a public header.
//
// Thread-safety: the free functions are safe to call from any thread. A Hasher is a value with
// no shared state: one instance must not be used by two threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/filesystem/path.hpp>

namespace cas {

enum class HashAlgorithm { sha1, sha256, sha512 };

// "sha1", "sha256" or "sha512".
std::string_view to_string(HashAlgorithm algorithm) noexcept;

// Parses "sha1", "sha256" or "sha512". Throws InvalidArgumentError naming the input otherwise.
HashAlgorithm parse_hash_algorithm(std::string_view name);

// Length of a hex digest: 40, 64 or 128.
std::size_t hex_length(HashAlgorithm algorithm) noexcept;

// The algorithm whose hex digest has `length` characters (40, 64, 128), or nullopt.
std::optional<HashAlgorithm> algorithm_for_length(std::size_t length) noexcept;

// A streaming hasher: update() any number of times, then finish() once.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  HashAlgorithm algorithm() const noexcept { return algorithm_; }

  // Adds bytes to the digest. Throws cas::Error if called after finish().
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }

  // Returns the digest of everything passed to update(), as lowercase hex. Throws cas::Error
  // if called twice.
  std::string finish();

 private:
  struct Impl;
  HashAlgorithm algorithm_;
  std::unique_ptr<Impl> impl_;
};

// The lowercase hex digest of `data`.
std::string hash_bytes(std::string_view data, HashAlgorithm algorithm);

// The lowercase hex digest of the file at `path`, read in large chunks.
// Throws IoError/PermissionError naming the path when it cannot be opened or read.
std::string hash_file(const boost::filesystem::path& path, HashAlgorithm algorithm);

// Same, for an already open file descriptor, read from its current offset to the end.
// `path` only names the file in error messages.
std::string hash_fd(int fd, HashAlgorithm algorithm, const std::string& path);

}  // namespace cas
