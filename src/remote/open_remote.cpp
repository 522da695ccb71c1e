// Opening a remote by URL (cas::open_remote, remote.hpp) and the AWS environment of an s3:// URL
// (cas::s3_options_from_environment, s3_remote.hpp).
#include <cstdlib>

#include "cas/errors.hpp"
#include "cas/remote.hpp"
#include "cas/s3_remote.hpp"

namespace cas {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The first of the variables that is set and not empty, else `fallback`.
std::string first_env(std::initializer_list<const char*> names, const std::string& fallback) {
  for (const char* name : names) {
    if (std::string value = env(name); !value.empty()) return value;
  }
  return fallback;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

S3RemoteOptions s3_options_from_environment(const std::string& url, HttpRemoteOptions http) {
  const std::string shown = "remote URL " + redact_url(url);
  if (!starts_with(url, "s3://")) throw InvalidArgumentError(shown + ": not an s3:// URL");
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  S3RemoteOptions o;
  o.bucket = rest.substr(0, slash);
  o.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (o.bucket.find('@') != std::string::npos) {
    throw InvalidArgumentError(shown +
                               ": credentials come from AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY, not the URL");
  }
  if (rest.find_first_of("?#") != std::string::npos) {
    throw InvalidArgumentError(shown + ": a query or fragment has no place in an s3:// URL");
  }
  o.access_key_id = env("AWS_ACCESS_KEY_ID");
  o.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    throw InvalidArgumentError(shown +
                               ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the S3 "
                               "credentials; AWS_SESSION_TOKEN too for temporary ones)");
  }
  o.session_token = env("AWS_SESSION_TOKEN");
  o.region = first_env({"AWS_REGION", "AWS_DEFAULT_REGION"}, "us-east-1");
  o.endpoint = first_env({"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}, "");
  o.http = std::move(http);
  return o;
}

std::shared_ptr<Remote> open_remote(const std::string& url, const HttpRemoteOptions& options) {
  if (starts_with(url, "s3://")) {
    return std::make_shared<S3Remote>(s3_options_from_environment(url, options));
  }
  if (starts_with(url, "http://") || starts_with(url, "https://")) {
    return std::make_shared<HttpRemote>(url, options);
  }
  throw InvalidArgumentError("remote URL " + redact_url(url) +
                             ": not an http://, https:// or s3:// URL");
}

}  // namespace cas
