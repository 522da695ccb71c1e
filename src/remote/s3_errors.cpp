// Internal: reading S3's error responses (see s3_errors.hpp).
#include "remote/s3_errors.hpp"

#include <algorithm>
#include <cctype>

namespace cas::detail {
namespace {

// What a user can do about a code; "" for codes the status already explains.
const char* meaning(const std::string& code) {
  if (code == "NoSuchBucket") return "the bucket does not exist";
  if (code == "SignatureDoesNotMatch") {
    return "the server refused the signature: check AWS_SECRET_ACCESS_KEY and AWS_REGION";
  }
  if (code == "InvalidAccessKeyId") {
    return "the server does not know the access key: check AWS_ACCESS_KEY_ID";
  }
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    return "the server refused the session token: check AWS_SESSION_TOKEN";
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect") {
    return "the bucket is in another region: check AWS_REGION";
  }
  if (code == "RequestTimeTooSkewed") return "this machine's clock is too far off the server's";
  return "";
}

}  // namespace

std::string s3_error_code(const std::string& body) {
  const auto open = body.find("<Code>");
  if (open == std::string::npos) return {};
  const auto start = open + 6;
  const auto close = body.find("</Code>", start);
  if (close == std::string::npos || close == start || close - start > 64) return {};
  std::string code = body.substr(start, close - start);
  const bool word =
      std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  return word ? code : std::string();
}

std::string s3_explain(long status, const std::string& body) {
  const std::string code = s3_error_code(body);
  std::string why = meaning(code);
  // A 403 without a known code (a HEAD has no body to say which): the credentials were refused,
  // or they lack the permission (AWS answers 403 for a missing object without s3:ListBucket).
  if (why.empty() && status == 403) {
    why =
        "the server refused the signature or credentials (AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION) or they lack permission";
  }
  if (code.empty()) return why.empty() ? std::string() : ": " + why;
  return " " + code + (why.empty() ? std::string() : ": " + why);
}

}  // namespace cas::detail
