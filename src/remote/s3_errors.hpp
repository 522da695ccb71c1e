// Internal: what an S3 error response means. S3 answers a failure with a status and an XML body
// whose <Code> says more ("NoSuchBucket" beside "NoSuchKey" for a 404, "SignatureDoesNotMatch"
// for a 403); the messages of S3Remote name it and what to check, never the body itself (it
// may echo the access key id and the string that was signed).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace cas::detail {

// The <Code> of an S3 error body ("NoSuchBucket"), or "" when the body has none (a HEAD has no
// body) or it is not a plain word (nothing else from the body reaches a message).
std::string s3_error_code(const std::string& body);

// What follows "HTTP <status>" in a message: " <Code>: <what it means>", or "" when nothing is
// known ("HTTP 500" stays as it is).
std::string s3_explain(long status, const std::string& body);

}  // namespace cas::detail
