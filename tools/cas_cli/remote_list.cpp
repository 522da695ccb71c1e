#include "remote_list.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "cas/remote.hpp"
#include "cli.hpp"

namespace cas::cli {
namespace {

constexpr std::string_view kWeight = "weight=";

double parse_weight(const std::string& token, const std::string& url) {
  const std::string text = token.substr(kWeight.size());
  char* end = nullptr;
  errno = 0;
  const double w = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(w) || w <= 0) {
    throw UsageError("--remote", redact_url(url) + ": '" + token +
                                     "': the weight must be a positive number (e.g. weight=2)");
  }
  return w;
}

}  // namespace

std::vector<RemoteSpec> parse_remote_list(const std::vector<std::string>& values) {
  std::vector<RemoteSpec> specs;
  bool weighted = false;  // whether the last URL has its weight already
  for (const std::string& value : values) {
    std::istringstream words(value);
    std::string token;
    while (words >> token) {
      if (token.compare(0, kWeight.size(), kWeight) == 0) {
        if (specs.empty()) {
          throw UsageError("--remote",
                           "'" + token + "' comes before any URL: give 'URL " + token + "'");
        }
        if (weighted) {
          throw UsageError("--remote", redact_url(specs.back().url) + ": a second weight");
        }
        specs.back().weight = parse_weight(token, specs.back().url);
        weighted = true;
      } else if (token.find("://") != std::string::npos) {
        specs.push_back({token, 1.0});
        weighted = false;
      } else {
        throw UsageError("--remote", "'" + redact_url(token) +
                                         "': neither a URL (scheme://host...) nor weight=W");
      }
    }
  }
  return specs;
}

}  // namespace cas::cli
