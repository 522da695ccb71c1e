// The remote tier's parts that need no server: redact_url. HttpRemote against a loopback nginx
// is tests/http_remote_test.cpp.
#include <gtest/gtest.h>

#include "cas/remote.hpp"

namespace {

TEST(RemoteTest, RedactUrlDropsUserinfo) {
  EXPECT_EQ(cas::redact_url("https://user:secret@host:8080/x/cas/ab"),
            "https://host:8080/x/cas/ab");
  EXPECT_EQ(cas::redact_url("http://tok@host"), "http://host");
  EXPECT_EQ(cas::redact_url("http://a:b@c@host/p"), "http://host/p");
}

TEST(RemoteTest, RedactUrlKeepsUrlsWithoutUserinfo) {
  EXPECT_EQ(cas::redact_url("http://host/a@b"), "http://host/a@b");
  EXPECT_EQ(cas::redact_url("http://127.0.0.1:81/cas/00"), "http://127.0.0.1:81/cas/00");
}

}  // namespace
