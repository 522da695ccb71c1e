// An S3 remote: the cas::Remote contract (remote.hpp) over an S3 bucket — AWS S3 or any
// S3-compatible server (MinIO, Ceph RGW, OpenStack Swift's s3api; the tests run Swift).
//
// Objects live at PREFIX/cas/<hash> in the bucket. Every request is signed with AWS Signature
// Version 4 by libcurl (CURLOPT_AWS_SIGV4) and carries "x-amz-content-sha256: UNSIGNED-PAYLOAD"
// (the body is not hashed twice: cas hashes every fetched body itself and publishes it only when
// it matches its name). Requests go path-style, ENDPOINT/BUCKET/PREFIX/cas/<hash>, to a given
// endpoint, and virtual-host style, https://BUCKET.s3.REGION.amazonaws.com/PREFIX/cas/<hash>, to
// AWS (path-style there too for a bucket name with a '.', which a wildcard certificate does not
// cover).
//
// Outcomes are those of HttpRemote, with what S3 adds: a 404 whose error is NoSuchBucket is
// failed, not absent (a HEAD has no body to tell, so contains() says absent and the upload that
// follows fails); a 403 is failed with a message saying the signature or credentials were
// refused (naming the error's <Code> when the response has one, and the variable to check).
// Every message names the request URL, which holds no credentials; the secret access key and the
// session token never appear in one.
//
// Thread-safety: as HttpRemote (a pool of curl multi handles; safe from several threads).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cas/remote.hpp"

namespace cas {

struct S3RemoteOptions {
  std::string bucket;  // required: 3-63 of [a-z0-9.-], starting and ending with a letter or digit
  // Objects at PREFIX/cas/<hash>; "" for the bucket's top. Segments of [A-Za-z0-9._~-] (no
  // "." or ".." segment) separated by '/'; leading and trailing '/' are dropped.
  std::string prefix;
  std::string region = "us-east-1";  // [a-z0-9-]; signed into every request
  // "" for AWS itself; else an S3-compatible server, "http[s]://host[:port][/path]" (no
  // credentials, query or fragment), addressed path-style.
  std::string endpoint;
  std::string access_key_id;      // required (Swift's: "account:user")
  std::string secret_access_key;  // required; never printed
  std::string session_token;      // "" for none; else sent as x-amz-security-token, never printed
  // Timeouts, ca_file, max_in_flight and an extra header as for HttpRemote; use_netrc is ignored
  // (the credentials are the ones above).
  HttpRemoteOptions http;
};

// Options for `url`, "s3://BUCKET[/PREFIX]", with what the AWS conventions put in the
// environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional),
// AWS_REGION (else AWS_DEFAULT_REGION, else "us-east-1"), AWS_ENDPOINT_URL_S3 (else
// AWS_ENDPOINT_URL, else AWS). Throws InvalidArgumentError when the URL is not s3:// or holds
// credentials, a query or a fragment, or when AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is unset
// or empty (the message names the variables, never their values). The bucket and prefix are
// checked by S3Remote's constructor.
S3RemoteOptions s3_options_from_environment(const std::string& url, HttpRemoteOptions http = {});

class S3Remote final : public Remote {
 public:
  // Throws InvalidArgumentError (naming the field, never the secret or token) when the bucket,
  // prefix, region or endpoint is malformed, a credential is empty or holds a line break, or
  // max_in_flight is 0; cas::Error when cas was built without libcurl or with one older than
  // 7.75 (no SigV4). Makes no request: a missing bucket or a refused key shows in the results.
  explicit S3Remote(S3RemoteOptions options);
  ~S3Remote() override;
  S3Remote(const S3Remote&) = delete;
  S3Remote& operator=(const S3Remote&) = delete;

  // As Remote (remote.hpp): HEAD/GET/PUT of BASE/cas/<hash>, BASE being display_url(). Throw
  // InvalidHashError (and the bulk forms InvalidArgumentError for mismatched lists) only.
  RemoteResult contains(const std::string& hash) override;
  RemoteResult fetch(const std::string& hash, int fd) override;
  RemoteResult upload(const std::string& hash, const boost::filesystem::path& path) override;
  std::vector<RemoteResult> contains_many(const std::vector<std::string>& hashes) override;
  std::vector<RemoteResult> fetch_many(const std::vector<std::string>& hashes,
                                       const std::vector<int>& fds,
                                       const FetchDone& on_done = {}) override;
  std::vector<RemoteResult> upload_many(const std::vector<std::string>& hashes,
                                        const std::vector<boost::filesystem::path>& paths) override;

  // The HTTP base of the objects, e.g. "http://127.0.0.1:8080/bucket/prefix" or
  // "https://bucket.s3.eu-west-1.amazonaws.com": what messages name (it holds no credentials).
  const std::string& display_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cas
