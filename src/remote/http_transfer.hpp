// Internal: one HTTP request of cas::HttpRemote — a curl easy handle set up for a HEAD, GET or PUT
// of BASE/cas/<hash>, its body callbacks (a GET body is hashed while it is written to the
// caller's descriptor), and the classification of its outcome into a RemoteResult.
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

// What every request of one HttpRemote shares; immutable after the remote's construction.
struct HttpSettings {
  std::string base;     // with userinfo, for curl only
  std::string display;  // without it, for messages
  HttpRemoteOptions options;
  curl_slist* headers = nullptr;      // options.header, for HEAD and GET
  curl_slist* put_headers = nullptr;  // the same plus "Expect:" (no 100-continue round trip)
  std::vector<std::string> secrets;   // what must never appear in a message
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
