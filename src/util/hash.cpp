// Hashing on OpenSSL EVP. This is the only file that includes OpenSSL.
#include "cas/hash.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <vector>

#include "cas/errors.hpp"
#include "cas/unique_fd.hpp"
#include "util/digest.hpp"
#include "util/posix_error.hpp"

namespace cas {
namespace {

const EVP_MD* evp_md(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::sha1:
      return EVP_sha1();
    case HashAlgorithm::sha256:
      return EVP_sha256();
    case HashAlgorithm::sha512:
      return EVP_sha512();
  }
  throw InvalidArgumentError("unknown hash algorithm");
}

// 256 KiB: large enough that syscall overhead is negligible against hashing, small enough to
// stay in L2 while it is hashed.
constexpr std::size_t kReadChunk = 256 * 1024;

}  // namespace

std::string_view to_string(HashAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case HashAlgorithm::sha1:
      return "sha1";
    case HashAlgorithm::sha256:
      return "sha256";
    case HashAlgorithm::sha512:
      return "sha512";
  }
  return "unknown";
}

HashAlgorithm parse_hash_algorithm(std::string_view name) {
  if (name == "sha1") return HashAlgorithm::sha1;
  if (name == "sha256") return HashAlgorithm::sha256;
  if (name == "sha512") return HashAlgorithm::sha512;
  throw InvalidArgumentError("unknown hash algorithm '" + std::string(name) +
                             "' (known: sha1, sha256, sha512)");
}

std::size_t hex_length(HashAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case HashAlgorithm::sha1:
      return 40;
    case HashAlgorithm::sha256:
      return 64;
    case HashAlgorithm::sha512:
      return 128;
  }
  return 0;
}

std::optional<HashAlgorithm> algorithm_for_length(std::size_t length) noexcept {
  switch (length) {
    case 40:
      return HashAlgorithm::sha1;
    case 64:
      return HashAlgorithm::sha256;
    case 128:
      return HashAlgorithm::sha512;
    default:
      return std::nullopt;
  }
}

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, evp_md(algorithm), nullptr) != 1) {
    throw Error("cannot initialise " + std::string(to_string(algorithm)));
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, std::size_t size) {
  if (!impl_ || !impl_->ctx) throw Error("Hasher::update after finish");
  if (EVP_DigestUpdate(impl_->ctx, data, size) != 1) throw Error("EVP_DigestUpdate failed");
}

std::string Hasher::finish() {
  if (!impl_ || !impl_->ctx) throw Error("Hasher::finish called twice");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest, &len) != 1) throw Error("EVP_DigestFinal failed");
  EVP_MD_CTX_free(impl_->ctx);
  impl_->ctx = nullptr;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * len, '0');
  for (unsigned i = 0; i < len; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

std::string hash_bytes(std::string_view data, HashAlgorithm algorithm) {
  Hasher h(algorithm);
  h.update(data);
  return h.finish();
}

std::string hash_fd(int fd, HashAlgorithm algorithm, const std::string& path) {
  Hasher h(algorithm);
  std::vector<char> buf(kReadChunk);
  while (true) {
    ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_last_error("read", path);
    }
    if (got == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(got));
  }
  return h.finish();
}

std::string hash_file(const boost::filesystem::path& path, HashAlgorithm algorithm) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) throw_last_error("open", path.string());
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return hash_fd(fd.get(), algorithm, path.string());
}

namespace detail {

std::uint64_t sha256_prefix64(std::string_view a, std::string_view b, std::string_view c) {
  // A placement draws once per shard and hash: one context per thread, and the algorithm
  // fetched once (OpenSSL 3 looks EVP_sha256() up again on every init otherwise).
  struct FreeCtx {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, FreeCtx> ctx(EVP_MD_CTX_new());
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
  }();
#else
  static const EVP_MD* md = EVP_sha256();
#endif
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), c.data(), c.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
    throw std::bad_alloc();
  }
  std::uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | digest[i];
  return x;
}

}  // namespace detail

}  // namespace cas
