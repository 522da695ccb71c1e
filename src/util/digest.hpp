// Raw digests for the library's own use (placement draws), beside the hex digests of
// include/cas/hash.hpp. Implemented in hash.cpp, the one file that includes OpenSSL.
//
// Thread-safety: safe from any thread (each thread keeps its own digest context).
#pragma once

#include <cstdint>
#include <string_view>

namespace cas::detail {

// The first 8 bytes of sha256(a + b + c), as a big-endian integer. Throws std::bad_alloc when
// OpenSSL cannot make a digest context (it cannot fail otherwise).
std::uint64_t sha256_prefix64(std::string_view a, std::string_view b, std::string_view c);

}  // namespace cas::detail
