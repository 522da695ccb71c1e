// cas::push (cas/remote_transfer.hpp) against a real nginx on loopback (tests/nginx_server.hpp)
// that refuses uploads: a refused PUT is a failure, counted and reported, never an upload.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/store.hpp"
#include "nginx_server.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::NginxServer;
using test::TempDir;
using test::write_file;

// More than OperationErrors::kMaxErrors: the count goes on past the messages.
constexpr int kFiles = static_cast<int>(OperationErrors::kMaxErrors) + 5;

std::string content_of(int i) { return "pushed file " + std::to_string(i); }
std::string hash_of(int i) { return hash_bytes(content_of(i), HashAlgorithm::sha256); }

std::unique_ptr<HttpRemote> remote_at(const std::string& url) {
  HttpRemoteOptions o;
  o.connect_timeout_ms = 2000;
  o.low_speed_time_s = 1;
  return std::make_unique<HttpRemote>(url, o);
}

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CAS_SKIP_WITHOUT_NGINX();
    nginx_ = std::make_unique<NginxServer>();
    store_ = std::make_unique<Store>(tmp_ / "store");
    for (int i = 0; i < kFiles; ++i) {
      write_file(tmp_ / "src", content_of(i));
      ASSERT_EQ(store_->put(tmp_ / "src"), hash_of(i));
    }
  }

  std::size_t objects_on_server() const {
    std::size_t n = 0;
    for (fs::directory_iterator it(nginx_->data_dir() / "cas"), end; it != end; ++it) ++n;
    return n;
  }

  // Pushes to BASE (a location of the server) and checks that every absent hash was refused:
  // nothing counted as uploaded, every one counted as failed and reported with the status.
  void expect_every_upload_refused(const std::string& base, const std::string& status,
                                   int already_there) {
    auto remote = remote_at(nginx_->url() + base);
    std::vector<std::string> reported;
    PushOptions options;
    options.on_error = [&](const std::string& m) { reported.push_back(m); };
    PushResult r = push(*store_, *remote, options);
    const auto refused = static_cast<std::uint64_t>(kFiles - already_there);
    EXPECT_EQ(r.checked, static_cast<std::uint64_t>(kFiles));
    EXPECT_EQ(r.already_present, static_cast<std::uint64_t>(already_there));
    EXPECT_EQ(r.uploaded, 0u) << "refused PUTs counted as uploaded";
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(r.failed, refused);
    EXPECT_EQ(r.errors.size(), std::min<std::size_t>(refused, OperationErrors::kMaxErrors));
    ASSERT_EQ(reported.size(), refused);
    for (const std::string& m : reported) {
      EXPECT_NE(m.find("PUT " + nginx_->url() + base + "/cas/"), std::string::npos) << m;
      EXPECT_NE(m.find(status), std::string::npos) << m;
    }
    EXPECT_EQ(objects_on_server(), static_cast<std::size_t>(already_there));
  }

  TempDir tmp_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<Store> store_;
};

TEST_F(PushTest, UploadsRefusedWith403AreCountedAsFailedNotUploaded) {
  expect_every_upload_refused("/ro", "HTTP 403", 0);
  EXPECT_TRUE(nginx_->logged("\"PUT /ro/cas/" + hash_of(0)));
}

TEST_F(PushTest, UploadsRefusedWith405AreCountedAsFailedNotUploaded) {
  expect_every_upload_refused("/nodav", "HTTP 405", 0);
}

TEST_F(PushTest, WhatTheRemoteHasIsPresentAndOnlyTheRestIsRefused) {
  for (int i = 0; i < 3; ++i) write_file(nginx_->data_dir() / "cas" / hash_of(i), content_of(i));
  expect_every_upload_refused("/ro", "HTTP 403", 3);
}

// The same store pushed where uploads are allowed: every file is uploaded (the refusals above
// are the server's, not the store's).
TEST_F(PushTest, ThePushThatWasRefusedSucceedsWhereUploadsAreAllowed) {
  auto refusing = remote_at(nginx_->url() + "/ro");
  ASSERT_EQ(push(*store_, *refusing).failed, static_cast<std::uint64_t>(kFiles));
  auto remote = remote_at(nginx_->url());
  PushResult r = push(*store_, *remote);
  EXPECT_EQ(r.uploaded, static_cast<std::uint64_t>(kFiles));
  EXPECT_EQ(r.failed, 0u);
  EXPECT_TRUE(r.errors.empty());
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(test::read_file(nginx_->data_dir() / "cas" / hash_of(i)), content_of(i));
  }
}

}  // namespace
}  // namespace cas
