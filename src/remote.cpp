// The parts of the remote tier that need no HTTP library.
#include "cas/remote.hpp"

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

}  // namespace cas
