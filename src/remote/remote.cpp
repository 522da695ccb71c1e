// The parts of the remote tier that need no HTTP library.
#include "cas/remote.hpp"

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"

namespace cas {

std::string redact_url(const std::string& url) {
  // Userinfo sits between "scheme://" and the first '@' of the authority (before '/', '?', '#').
  const auto scheme_end = url.find("://");
  const auto start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", start);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

void validate_remote_hash(const std::string& hash) {
  validate_hash(hash);
  if (!algorithm_for_length(hash.size())) {
    throw InvalidHashError(hash, "not a sha1, sha256 or sha512 digest (40, 64 or 128 hex digits)");
  }
}

const char* to_string(RemoteStatus status) noexcept {
  switch (status) {
    case RemoteStatus::present:
      return "present";
    case RemoteStatus::absent:
      return "absent";
    case RemoteStatus::corrupt:
      return "corrupt";
    case RemoteStatus::failed:
      return "failed";
  }
  return "failed";
}

}  // namespace cas
