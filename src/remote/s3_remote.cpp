// cas::S3Remote: the HttpRemote request engine (http_client.hpp) with S3's addressing, libcurl's
// SigV4 signing and S3's error codes (s3_errors.hpp). What is checked here is what goes into a
// URL, a signature or a header: nothing from the caller reaches a request unchecked.
#include "cas/s3_remote.hpp"

#include "cas/errors.hpp"

#ifdef CAS_HAVE_CURL
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "remote/http_client.hpp"

namespace cas {
namespace {

bool all_of(const std::string& s, const char* extra, bool upper) {
  return std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || (upper && std::isupper(c)) ||
           (c != '\0' && std::strchr(extra, c) != nullptr);
  });
}

void check_bucket(const std::string& b) {
  const bool ends_ok = !b.empty() && std::isalnum(static_cast<unsigned char>(b.front())) &&
                       std::isalnum(static_cast<unsigned char>(b.back()));
  if (b.size() < 3 || b.size() > 63 || !ends_ok || !all_of(b, ".-", false) ||
      b.find("..") != std::string::npos) {
    throw InvalidArgumentError("S3 bucket \"" + b +
                               "\": not a bucket name (3-63 of a-z, 0-9, '.', '-')");
  }
}

// Unreserved characters only, so that the path needs no percent-encoding: what curl signs is
// then exactly what the server sees.
std::string clean_prefix(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  const std::string shown = "S3 prefix \"" + p + "\"";
  if (!all_of(p, "._~-/", true)) {
    throw InvalidArgumentError(shown + ": only A-Z, a-z, 0-9, '.', '_', '~', '-' and '/'");
  }
  const std::string wrapped = "/" + p + "/";
  for (const char* bad : {"//", "/./", "/../"}) {
    if (!p.empty() && wrapped.find(bad) != std::string::npos) {
      throw InvalidArgumentError(shown + ": an empty, '.' or '..' segment");
    }
  }
  return p;
}

void check_credential(const std::string& value, const char* name, bool required) {
  if (required && value.empty()) throw InvalidArgumentError(std::string(name) + " is empty");
  if (value.find_first_of("\r\n") != std::string::npos) {
    throw InvalidArgumentError(std::string(name) + " holds a line break");
  }
}

// ENDPOINT/BUCKET[/PREFIX] for a given endpoint (path-style: one host for every bucket), else
// AWS's own host for the bucket.
std::string base_url(const S3RemoteOptions& o, const std::string& prefix,
                     std::vector<std::string>* secrets) {
  std::string base;
  if (!o.endpoint.empty()) {
    detail::check_base_url(o.endpoint, "S3 endpoint", secrets);
    if (redact_url(o.endpoint) != o.endpoint) {
      throw InvalidArgumentError("S3 endpoint " + redact_url(o.endpoint) +
                                 ": credentials come from AWS_ACCESS_KEY_ID and "
                                 "AWS_SECRET_ACCESS_KEY, not the URL");
    }
    base = o.endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    base += "/" + o.bucket;
  } else if (o.bucket.find('.') != std::string::npos) {
    base = "https://s3." + o.region + ".amazonaws.com/" + o.bucket;
  } else {
    base = "https://" + o.bucket + ".s3." + o.region + ".amazonaws.com";
  }
  return prefix.empty() ? base : base + "/" + prefix;
}

curl_slist* append(curl_slist* list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list, line.c_str());
  if (grown == nullptr) {
    curl_slist_free_all(list);
    throw std::bad_alloc();
  }
  return grown;
}

// The headers of every request, all signed: the payload's hash left unsigned (s3api requires
// the header), the session token, the caller's extra header. Unlike HttpRemote's, a PUT has no
// "Expect:" (which only removes curl's 100-continue above 1 MiB): libcurl 7.88 signs that empty
// header too, and the server, which never sees it, refuses the signature.
void add_headers(const S3RemoteOptions& o, detail::HttpSettings& s) {
  std::vector<std::string> lines = {"x-amz-content-sha256: UNSIGNED-PAYLOAD"};
  if (!o.session_token.empty()) lines.push_back("x-amz-security-token: " + o.session_token);
  if (o.http.header) lines.push_back(*o.http.header);
  for (const std::string& line : lines) {
    s.headers = append(s.headers, line);
    s.put_headers = append(s.put_headers, line);
  }
}

}  // namespace

struct S3Remote::Impl {
  std::unique_ptr<detail::HttpClient> client;
};

S3Remote::S3Remote(S3RemoteOptions o) : impl_(std::make_unique<Impl>()) {
  if (curl_version_info(CURLVERSION_NOW)->version_num < 0x074b00) {
    throw Error("libcurl " + std::string(curl_version_info(CURLVERSION_NOW)->version) +
                " cannot sign S3 requests: S3Remote needs libcurl 7.75 or later");
  }
  detail::init_curl_once();
  if (o.http.max_in_flight == 0) throw InvalidArgumentError("max_in_flight must be at least 1");
  check_bucket(o.bucket);
  const std::string prefix = clean_prefix(o.prefix);
  if (o.region.empty() || !all_of(o.region, "-", false)) {
    throw InvalidArgumentError("S3 region \"" + o.region + "\": not a region (a-z, 0-9, '-')");
  }
  check_credential(o.access_key_id, "AWS_ACCESS_KEY_ID", true);
  check_credential(o.secret_access_key, "AWS_SECRET_ACCESS_KEY", true);
  check_credential(o.session_token, "AWS_SESSION_TOKEN", false);
  detail::HttpSettings s;
  if (o.http.header) {
    check_credential(*o.http.header, "the extra header", false);
    const auto colon = o.http.header->find(':');
    s.secrets.push_back(colon == std::string::npos ? *o.http.header
                                                   : o.http.header->substr(colon + 1));
  }
  s.base = base_url(o, prefix, &s.secrets);
  s.display = s.base;
  s.secrets.push_back(o.secret_access_key);
  s.secrets.push_back(o.session_token);
  s.sigv4 = detail::SigV4{"aws:amz:" + o.region + ":s3", o.access_key_id, o.secret_access_key};
  o.http.use_netrc = false;
  add_headers(o, s);
  s.options = std::move(o.http);
  impl_->client = std::make_unique<detail::HttpClient>(std::move(s));
}

S3Remote::~S3Remote() = default;

const std::string& S3Remote::display_url() const { return impl_->client->settings().display; }

std::vector<RemoteResult> S3Remote::contains_many(const std::vector<std::string>& hashes) {
  return impl_->client->contains_many(hashes);
}

std::vector<RemoteResult> S3Remote::fetch_many(const std::vector<std::string>& hashes,
                                               const std::vector<int>& fds,
                                               const FetchDone& on_done) {
  return impl_->client->fetch_many(hashes, fds, on_done);
}

std::vector<RemoteResult> S3Remote::upload_many(const std::vector<std::string>& hashes,
                                                const std::vector<boost::filesystem::path>& paths) {
  return impl_->client->upload_many(hashes, paths);
}

RemoteResult S3Remote::contains(const std::string& hash) {
  return std::move(contains_many({hash}).front());
}

RemoteResult S3Remote::fetch(const std::string& hash, int fd) {
  return std::move(fetch_many({hash}, {fd}).front());
}

RemoteResult S3Remote::upload(const std::string& hash, const boost::filesystem::path& path) {
  return std::move(upload_many({hash}, {path}).front());
}

}  // namespace cas

#else   // !CAS_HAVE_CURL: the contract stays, the client says it is missing.

namespace cas {

struct S3Remote::Impl {};

S3Remote::S3Remote(S3RemoteOptions) {
  throw Error("cas was built without libcurl: no S3 remote (Debian: libcurl4-openssl-dev)");
}
S3Remote::~S3Remote() = default;
const std::string& S3Remote::display_url() const {
  static const std::string none;
  return none;
}
std::vector<RemoteResult> S3Remote::contains_many(const std::vector<std::string>&) { return {}; }
std::vector<RemoteResult> S3Remote::fetch_many(const std::vector<std::string>&,
                                               const std::vector<int>&, const FetchDone&) {
  return {};
}
std::vector<RemoteResult> S3Remote::upload_many(const std::vector<std::string>&,
                                                const std::vector<boost::filesystem::path>&) {
  return {};
}
RemoteResult S3Remote::contains(const std::string&) { return {}; }
RemoteResult S3Remote::fetch(const std::string&, int) { return {}; }
RemoteResult S3Remote::upload(const std::string&, const boost::filesystem::path&) { return {}; }

}  // namespace cas
#endif  // CAS_HAVE_CURL
