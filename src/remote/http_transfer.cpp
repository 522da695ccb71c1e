// Internal: one request of cas::HttpRemote (see http_transfer.hpp).
#ifdef CAS_HAVE_CURL
#include "remote/http_transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "remote/s3_errors.hpp"

namespace cas::detail {
namespace {

// Enough of an error body for S3's <Code>, which comes first; the rest is drained unread.
constexpr size_t kMaxErrorBody = 1024;

void keep_error_body(Transfer& t, const char* data, size_t len) {
  if (t.error_body.size() < kMaxErrorBody) {
    t.error_body.append(data, std::min(len, kMaxErrorBody - t.error_body.size()));
  }
}

const char* method_name(HttpMethod m) {
  switch (m) {
    case HttpMethod::head:
      return "HEAD";
    case HttpMethod::get:
      return "GET";
    case HttpMethod::put:
      return "PUT";
  }
  return "?";
}

std::string url_of(const std::string& base, const std::string& hash) {
  return base + "/cas/" + hash;
}

// A GET body: only a 200's body is content; anything else (an error page) is drained, its start
// kept for the message.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (!t->content) {
    keep_error_body(*t, data, len);
    return len;
  }
  t->hasher->update(data, len);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(t->out_fd, data + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      t->local_errno = n < 0 ? errno : EIO;
      return 0;  // != len: curl aborts with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(n);
  }
  t->result.bytes += len;
  return len;
}

// A HEAD's or PUT's answer (an error page, "Created"): never content, never printed (curl's
// default writes it to stdout); its start is kept for the message.
size_t discard(char* data, size_t size, size_t count, void* user) {
  keep_error_body(*static_cast<Transfer*>(user), data, size * count);
  return size * count;
}

// Called once per response header line: the status line tells whether the body is content.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (len > 5 && std::memcmp(data, "HTTP/", 5) == 0) {
    // "HTTP/1.1 200 OK" or "HTTP/2 200": the code follows the first space.
    const char* space = static_cast<const char*>(std::memchr(data, ' ', len));
    bool ok = space && space + 4 <= data + len && std::memcmp(space + 1, "200", 3) == 0;
    t->content = ok;
  }
  return len;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  while (true) {
    ssize_t n = ::pread(t->in.get(), buffer, size * count, static_cast<off_t>(t->offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      t->local_errno = errno;
      return CURL_READFUNC_ABORT;
    }
    t->offset += static_cast<std::uint64_t>(n);
    t->result.bytes = t->offset;
    return static_cast<size_t>(n);
  }
}

// curl rewinds an upload it must send again (a reused connection closed under it).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->offset = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// libcurl signs the request itself; user and password go separately because an access key id
// may hold ':' (Swift's "account:user").
bool sign(const SigV4& sigv4, CURL* easy) {
#if LIBCURL_VERSION_NUM >= 0x074b00  // 7.75: CURLOPT_AWS_SIGV4 (S3Remote refuses older ones)
  return curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, sigv4.provider.c_str()) == CURLE_OK &&
         curl_easy_setopt(easy, CURLOPT_USERNAME, sigv4.user.c_str()) == CURLE_OK &&
         curl_easy_setopt(easy, CURLOPT_PASSWORD, sigv4.password.c_str()) == CURLE_OK;
#else
  (void)sigv4;
  (void)easy;
  return false;
#endif
}

}  // namespace

std::string url_part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

std::string scrub(const HttpSettings& settings, std::string text) {
  for (const std::string& secret : settings.secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

bool open_upload_source(const HttpSettings& settings, Transfer& t) {
  int fd = ::open(t.source.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && ::fstat(fd, &st) != 0) {
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    t.result.status = RemoteStatus::failed;
    t.result.error = scrub(settings, "PUT " + url_of(settings.display, t.hash) + ": open " +
                                         t.source + ": " + std::strerror(errno));
    return false;
  }
  t.in.reset(fd);
  t.in_size = static_cast<std::uint64_t>(st.st_size);
  return true;
}

bool prepare_easy(const HttpSettings& settings, CURL* easy, Transfer& t) {
  const HttpRemoteOptions& o = settings.options;
  const std::string url = url_of(settings.base, t.hash);
  t.errbuf[0] = '\0';
  t.content = false;
  t.error_body.clear();
  t.result = RemoteResult{};
  bool ok = curl_easy_setopt(easy, CURLOPT_URL, url.c_str()) == CURLE_OK;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // Over TLS, where ALPN may give HTTP/2, wait for the first connection and multiplex on it rather
  // than open one per request. Never over plain http: there libcurl speaks HTTP/1.1 only, and a
  // request that waits to multiplex waits for the one connection to be free, so max_in_flight
  // requests would run one at a time on it.
  if (settings.base.compare(0, 8, "https://") == 0) curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  if (o.ca_file) curl_easy_setopt(easy, CURLOPT_CAINFO, o.ca_file->c_str());
  if (o.use_netrc) curl_easy_setopt(easy, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER,
                   t.method == HttpMethod::put ? settings.put_headers : settings.headers);
  if (settings.sigv4) ok = ok && sign(*settings.sigv4, easy);
  switch (t.method) {
    case HttpMethod::head:
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
      break;
    case HttpMethod::get:
      t.hasher.emplace(*algorithm_for_length(t.hash.size()));
      curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
      curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
      break;
    case HttpMethod::put:
      t.offset = 0;
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.in_size));
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, &t);
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, &t);
      break;
  }
  if (!ok) {
    t.result.error = "cannot request " + url_of(settings.display, t.hash);
  }
  return ok;
}

void classify(const HttpSettings& settings, CURL* easy, CURLcode code, Transfer& t) {
  const std::string prefix =
      std::string(method_name(t.method)) + " " + url_of(settings.display, t.hash) + ": ";
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  RemoteResult& r = t.result;
  if (code != CURLE_OK) {
    std::string why = curl_easy_strerror(code);
    if (t.errbuf[0] != '\0') why += std::string(" (") + t.errbuf + ")";
    if (t.local_errno != 0) why += std::string(": ") + std::strerror(t.local_errno);
    r.status = RemoteStatus::failed;
    r.error = scrub(settings, prefix + why);
    return;
  }
  r.error.clear();
  const bool put = t.method == HttpMethod::put;
  // S3 answers 404 for a missing bucket too: that is a broken remote, not a missing object.
  const bool no_bucket = settings.sigv4 && s3_error_code(t.error_body) == "NoSuchBucket";
  if (status == 404 && !put && !no_bucket) {
    r.status = RemoteStatus::absent;
    r.bytes = 0;
  } else if (put ? (status == 200 || status == 201 || status == 204) : status == 200) {
    r.status = RemoteStatus::present;
    if (t.method == HttpMethod::get) {
      std::string actual = t.hasher->finish();
      if (actual != t.hash) {
        r.status = RemoteStatus::corrupt;
        r.error = prefix + "body hashes to " + actual;
      }
    }
  } else {
    r.status = RemoteStatus::failed;
    r.bytes = 0;
    std::string why = "HTTP " + std::to_string(status);
    if (settings.sigv4) why += s3_explain(status, t.error_body);
    r.error = scrub(settings, prefix + why);
  }
}

}  // namespace cas::detail
#endif  // CAS_HAVE_CURL
