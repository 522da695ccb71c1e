// Internal: one HTTP request of cas::HttpRemote or cas::S3Remote — a curl easy handle set up for
// a HEAD, GET or PUT of BASE/cas/<hash>, its body callbacks (a GET body is hashed while it is
// written to the caller's descriptor), and the classification of its outcome into a
// RemoteResult.
//
// Thread-safety: a Transfer belongs to the one thread running its multi handle.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/unique_fd.hpp"

namespace cas::detail {

enum class HttpMethod { head, get, put };

// AWS Signature Version 4, which libcurl computes for each request (CURLOPT_AWS_SIGV4).
struct SigV4 {
  std::string provider;  // "aws:amz:<region>:s3"
  std::string user;      // the access key id (may hold ':', so never "user:password")
  std::string password;  // the secret access key; never printed
};

// What every request of one remote shares; immutable after the remote's construction.
struct HttpSettings {
  std::string base;     // with userinfo, for curl only
  std::string display;  // without it, for messages
  HttpRemoteOptions options;
  curl_slist* headers = nullptr;      // options.header, for HEAD and GET
  curl_slist* put_headers = nullptr;  // the same plus "Expect:" (no 100-continue round trip)
  std::vector<std::string> secrets;   // what must never appear in a message
  // S3Remote: every request signed, and an error status read with S3's error XML (s3_errors.hpp).
  std::optional<SigV4> sigv4;
};

struct Transfer {
  HttpMethod method = HttpMethod::head;
  std::string hash;
  int out_fd = -1;               // GET: where the body goes
  std::optional<Hasher> hasher;  // GET: re-hashes the body
  bool content = false;          // GET: the response is a 200, its body is the content
  std::string source;            // PUT: the file uploaded
  UniqueFd in;                   // PUT: its descriptor
  std::uint64_t in_size = 0;
  std::uint64_t offset = 0;  // PUT: bytes read so far
  int local_errno = 0;       // a read or write of ours failed
  std::string error_body;    // the start of a response body that is not content (S3's <Error>)
  char errbuf[CURL_ERROR_SIZE] = {};
  RemoteResult result;
};

// Opens a PUT's source; returns false (result failed, with the reason) when it cannot be read.
bool open_upload_source(const HttpSettings& settings, Transfer& t);

// Sets up `easy` (fresh or curl_easy_reset) for `t`. Returns false when it cannot be.
bool prepare_easy(const HttpSettings& settings, CURL* easy, Transfer& t);

// Fills t.result from the finished request's curl code and HTTP status.
void classify(const HttpSettings& settings, CURL* easy, CURLcode code, Transfer& t);

// The part of a parsed URL, or "" when it has none (curl_url_get).
std::string url_part(CURLU* url, CURLUPart part);

// `text` with every secret replaced by "***".
std::string scrub(const HttpSettings& settings, std::string text);

}  // namespace cas::detail
