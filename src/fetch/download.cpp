// detail::download_url (download.hpp): one URL, its retries and its resumes, on the session's curl
// easy handle (reset before each attempt, which keeps its connections: a retry, and the next
// request of the session, reuse the connection when it is still open).
#include "fetch/download.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <thread>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "fetch/hash_follower.hpp"

namespace cas::detail {
namespace {

using Clock = std::chrono::steady_clock;

// From this many bytes of body on, a HashFollower hashes beside the transfer.
constexpr std::uint64_t kFollowFrom = 2 << 20;

// The state of one URL's transfer across its attempts: what the file holds so far and what the
// current response says.
struct Transfer {
  const FetchOptions& options;
  const std::string& hash;
  const std::string display;  // the URL without its userinfo
  int fd;
  std::optional<std::uint64_t> limit;      // the expected size or the cap, the smaller
  bool is_file = false;                    // file://: no status line, no ranges
  std::uint64_t offset = 0;                // bytes of the body in the file (a valid prefix)
  std::optional<Hasher> hasher;            // the digest of those bytes, until `follower` takes over
  std::unique_ptr<HashFollower> follower;  // hashes them on its own thread, past kFollowFrom
  std::uint64_t received = 0;              // from the network, every attempt
  // The current response.
  long status = 0;
  bool content = false;                    // its body is the content (200, or 206 from `offset`)
  bool range_ok = false;                   // a 206's Content-Range starts at `offset`
  bool accept_ranges = false;              // the server said "Accept-Ranges: bytes" (or sent a 206)
  std::optional<std::uint64_t> announced;  // the whole body's size, from Content-Length
  // Why the transfer was aborted from a callback.
  std::string abort_why;
  bool cancelled = false;
  int local_errno = 0;
  Clock::time_point last_progress{};
  char errbuf[CURL_ERROR_SIZE] = {};

  // Hashes the `len` bytes just written (the file's bytes up to `offset`): here while the body
  // is small, on a follower thread once it is large (the thread costs less than it saves only
  // then). Returns false (local_errno set) when the thread cannot be started.
  bool hash_written(const char* data, size_t len) {
    if (follower) {
      follower->advance(offset);
      return true;
    }
    hasher->update(data, len);
    if (offset < kFollowFrom) return true;
    try {
      follower = std::make_unique<HashFollower>(fd, std::move(*hasher), offset);
    } catch (const std::exception&) {  // (not through curl's C frames)
      local_errno = EAGAIN;
      return false;
    }
    hasher.reset();
    return true;
  }

  Transfer(const FetchOptions& o, const std::string& h, const std::string& url, int out)
      : options(o), hash(h), display(redact_url(url)), fd(out) {}

  // Drops what the file holds: the next response starts over. The file is `offset` bytes long
  // (every write extends it, and a write that fails ends the fetch), so an empty one is left
  // alone: on ext4, a truncation to 0 makes the close flush the file's dirty pages (the
  // auto_da_alloc heuristic for programs that truncate and rewrite), a second per GiB.
  void start_over() {
    follower.reset();
    hasher.emplace(*algorithm_for_length(hash.size()));
    if (offset > 0 && ::ftruncate(fd, 0) != 0) local_errno = errno;
    offset = 0;
  }
};

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::optional<std::uint64_t> number_at(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::uint64_t v = 0;
  std::size_t digits = 0;
  for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits) {
    v = v * 10 + static_cast<std::uint64_t>(text[digits] - '0');
  }
  if (digits == 0 || digits > 19) return std::nullopt;
  return v;
}

// A status line opens a response (a redirect's, then the final one's).
void on_status_line(Transfer& t, std::string_view line) {
  const auto space = line.find(' ');
  t.status = space == std::string_view::npos
                 ? 0
                 : static_cast<long>(number_at(line.substr(space)).value_or(0));
  t.content = t.status == 200 || t.status == 206;
  t.range_ok = false;
  t.announced.reset();
  if (t.status == 206) t.accept_ranges = true;
  // A 200 to a Range request is the whole body again.
  if (t.status == 200 && t.offset > 0) t.start_over();
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t len = size * count;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    on_status_line(t, line);
  } else if (header_is(line, "accept-ranges")) {
    t.accept_ranges = line.find("bytes") != std::string_view::npos;
  } else if (header_is(line, "content-range") && t.status == 206) {
    // "Content-Range: bytes N-M/T": the body must continue the file exactly.
    const auto bytes = line.find("bytes");
    t.range_ok = bytes != std::string_view::npos &&
                 number_at(line.substr(bytes + 5)) == std::optional<std::uint64_t>(t.offset);
  } else if (header_is(line, "content-length") && t.content) {
    if (auto n = number_at(line.substr(15))) t.announced = *n + (t.status == 206 ? t.offset : 0);
    // Known before the body: abort now rather than after downloading it.
    if (t.announced && t.options.size && *t.announced != *t.options.size) {
      t.abort_why = "body of " + std::to_string(*t.announced) + " bytes, expected " +
                    std::to_string(*t.options.size);
      return 0;
    }
    if (t.announced && t.limit && *t.announced > *t.limit) {
      t.abort_why = "body is longer than " + std::to_string(*t.limit) + " bytes";
      return 0;
    }
  }
  return len;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (!t.content) return len;  // an error page or a redirect's body
  if (t.status == 206 && !t.range_ok) {
    t.abort_why = "a 206 that does not continue from byte " + std::to_string(t.offset);
    return 0;
  }
  if (t.limit && t.offset + len > *t.limit) {
    t.abort_why = "body is longer than " + std::to_string(*t.limit) + " bytes";
    return 0;
  }
  for (size_t done = 0; done < len;) {
    ssize_t n = ::pwrite(t.fd, data + done, len - done, static_cast<off_t>(t.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      t.local_errno = n < 0 ? errno : EIO;
      return 0;
    }
    done += static_cast<size_t>(n);
  }
  t.offset += len;
  t.received += len;
  return t.hash_written(data, len) ? len : 0;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  if (t.options.cancelled && t.options.cancelled()) {
    t.cancelled = true;
    return 1;
  }
  const auto now = Clock::now();
  if (t.options.progress && now - t.last_progress >= std::chrono::milliseconds(250)) {
    t.last_progress = now;
    t.options.progress(FetchProgress{t.hash, t.display, t.offset, t.announced});
  }
  return 0;
}

// The header list of one URL's transfer.
struct Headers {
  curl_slist* list = nullptr;
  ~Headers() { curl_slist_free_all(list); }
};

void prepare(CURL* c, const Headers& headers, Transfer& t, const std::string& url) {
  const HttpRemoteOptions& o = t.options.http;
  curl_easy_reset(c);
  t.errbuf[0] = '\0';
  t.status = 0;
  t.content = t.is_file;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // Larger reads than the default 16 KiB: a large body arrives in fewer writes and callbacks.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, t.is_file ? "file" : "http,https");
  // Never from https down to http (nor to file, or anything else).
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
                   url.starts_with("https:") ? "https" : "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, t.options.max_redirects);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_limit);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
  if (o.ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file->c_str());
  if (o.use_netrc) curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
  if (headers.list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  if (t.limit) {
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(*t.limit - t.offset));
  }
  const std::string range = std::to_string(t.offset) + "-";
  if (t.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());  // copied by curl
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

enum class Verdict { ok, not_found, transient, failed };

bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// The body arrived whole: is it the content?
Verdict check_body(Transfer& t, std::string* why) {
  if (t.options.size && t.offset != *t.options.size) {
    *why = "body of " + std::to_string(t.offset) + " bytes, expected " +
           std::to_string(*t.options.size);
    return Verdict::failed;
  }
  const std::string actual = t.follower ? t.follower->finish().finish() : t.hasher->finish();
  if (actual == t.hash) return Verdict::ok;
  *why = "content hashes to " + actual + ", not " + t.hash;
  return Verdict::failed;
}

// Classifies a finished attempt; *why says what went wrong.
Verdict classify(Transfer& t, CURLcode code, std::string* why) {
  if (t.cancelled) throw Error("fetch " + t.hash + ": interrupted");
  if (t.local_errno != 0) throw_errno(t.local_errno, "write", "a temp file of the store");
  if (!t.abort_why.empty()) {
    *why = t.abort_why;
    // A 206 from the wrong place: start over; too big: this URL will not do.
    return t.abort_why.starts_with("a 206") ? Verdict::transient : Verdict::failed;
  }
  if (code == CURLE_FILESIZE_EXCEEDED) {
    *why = "body is longer than " + std::to_string(*t.limit) + " bytes";
    return Verdict::failed;
  }
  if (code == CURLE_OK && (t.is_file || t.status == 200 || t.status == 206)) {
    return check_body(t, why);
  }
  if (code == CURLE_OK) {
    *why = "HTTP " + std::to_string(t.status);
    if (t.status == 404 || t.status == 410) return Verdict::not_found;
    const bool transient = t.status == 408 || t.status == 429 || t.status >= 500;
    return transient ? Verdict::transient : Verdict::failed;
  }
  *why = curl_easy_strerror(code);
  if (t.errbuf[0] != '\0') *why += std::string(" (") + t.errbuf + ")";
  if (code == CURLE_FILE_COULDNT_READ_FILE) return Verdict::not_found;
  return is_transient(code) ? Verdict::transient : Verdict::failed;
}

// Sleeps `delay` in slices, so that a cancelled fetch stops within one.
void pause(const Transfer& t, std::chrono::milliseconds delay) {
  const auto until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (t.options.cancelled && t.options.cancelled()) {
      throw Error("fetch " + t.hash + ": interrupted");
    }
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
  }
}

// How long to wait before retry number `n` (from 0): the backoff doubled n times, or the
// server's Retry-After, at most max_backoff.
std::chrono::milliseconds delay_before(const Transfer& t, CURL* easy, unsigned n) {
  auto delay = t.options.backoff * (1u << std::min(n, 16u));
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    delay = std::chrono::seconds(retry_after);
  }
  return std::min(delay, t.options.max_backoff);
}

}  // namespace

Session::Session() : easy_(curl_easy_init()) {
  if (easy_ == nullptr) throw std::bad_alloc();
}

UrlOutcome download_url(Session& session, const FetchOptions& options,
                        std::optional<std::uint64_t> size, const std::string& hash,
                        const std::string& url, int fd) {
  FetchOptions sized = options;  // so that the callbacks see the expected size
  sized.size = size;
  Transfer t(sized, hash, url, fd);
  t.is_file = url.starts_with("file:");
  t.limit = size;
  if (options.max_bytes && (!t.limit || *options.max_bytes < *t.limit)) t.limit = options.max_bytes;
  CURL* easy = session.easy();
  Headers headers;
  if (options.http.header) headers.list = curl_slist_append(nullptr, options.http.header->c_str());
  // The handle outlives this transfer: it must not keep pointers to `t` and `headers` (curl may
  // write to the error buffer until the option changes). Reset first, destroyed first.
  struct Detach {
    CURL* easy;
    ~Detach() { curl_easy_reset(easy); }
  } detach{easy};
  t.start_over();
  UrlOutcome out;
  unsigned retries = 0;
  unsigned resumes = 0;  // attempts that brought bytes: bounded too, against a server that trickles
  while (true) {
    prepare(easy, headers, t, url);
    const std::uint64_t before = t.offset;
    t.abort_why.clear();
    const CURLcode code = curl_easy_perform(easy);
    std::string why;
    const Verdict v = classify(t, code, &why);
    out.bytes = t.received;
    if (v == Verdict::ok) {
      out.ok = true;
      return out;
    }
    out.error = "GET " + t.display + ": " + why;
    out.not_found = v == Verdict::not_found;
    if (v != Verdict::transient) return out;
    const bool progressed = t.offset > before && !t.is_file;
    // Resume only where the server said it can; else the next attempt starts over.
    if (!t.accept_ranges || t.abort_why.starts_with("a 206")) t.start_over();
    if (progressed && t.offset > 0 && ++resumes <= 100) continue;  // at once, from t.offset
    if (retries >= options.retries) return out;
    pause(t, delay_before(t, easy, retries++));
  }
}

}  // namespace cas::detail
