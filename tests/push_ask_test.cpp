// cas::push's PushOptions::ask against a real nginx on loopback (tests/nginx_server.hpp): into
// an empty remote, small files go up without a HEAD each once the first ones asked about were
// new; into a remote that has them, every hash is asked about and nothing is sent again; large
// files and PushAsk::always are always asked about. The access log counts the requests.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

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

// More than the first batch that is always asked about (64), and more than one batch after it.
constexpr int kFiles = 700;

std::string content_of(int i) { return "file to push " + std::to_string(i); }

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class PushAskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CAS_SKIP_WITHOUT_NGINX();
    nginx_ = std::make_unique<NginxServer>();
    store_ = std::make_unique<Store>(tmp_ / "store");
    for (int i = 0; i < kFiles; ++i) {
      write_file(tmp_ / "src", content_of(i));
      store_->put(tmp_ / "src");
    }
    remote_ = std::make_unique<HttpRemote>(nginx_->url());
  }

  // The access log once it holds `n` requests of `method` (or after 5 s): nginx logs a request
  // after answering it, so the client may look first. The HEADs of a batch were answered before
  // its PUTs were sent.
  std::string log_with(const std::string& method, std::size_t n) const {
    std::string log = nginx_->access_log();
    for (int i = 0; i < 500 && count_of(log, "\"" + method + " /cas/") < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      log = nginx_->access_log();
    }
    return log;
  }

  // Pushes with `options` into the empty remote: every file asked about, then uploaded.
  void expect_a_head_and_a_put_each(const PushOptions& options) {
    PushResult r = push(*store_, *remote_, options);
    EXPECT_EQ(r.uploaded, static_cast<std::uint64_t>(kFiles));
    EXPECT_EQ(r.sent_unasked, 0u);
    const std::string log = log_with("PUT", kFiles);
    EXPECT_EQ(count_of(log, "\"HEAD /cas/"), static_cast<std::size_t>(kFiles));
    EXPECT_EQ(count_of(log, "\"PUT /cas/"), static_cast<std::size_t>(kFiles));
  }

  std::size_t objects_on_server() const {
    std::size_t n = 0;
    for (fs::directory_iterator it(nginx_->data_dir() / "cas"), end; it != end; ++it) ++n;
    return n;
  }

  TempDir tmp_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttpRemote> remote_;
};

TEST_F(PushAskTest, IntoAnEmptyRemoteSmallFilesGoUpWithoutAHeadEach) {
  PushResult r = push(*store_, *remote_);
  EXPECT_EQ(r.checked, static_cast<std::uint64_t>(kFiles));
  EXPECT_EQ(r.uploaded, static_cast<std::uint64_t>(kFiles));
  EXPECT_EQ(r.already_present, 0u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(objects_on_server(), static_cast<std::size_t>(kFiles));
  const std::string log = log_with("PUT", kFiles);
  const std::size_t heads = count_of(log, "\"HEAD /cas/");
  EXPECT_EQ(count_of(log, "\"PUT /cas/"), static_cast<std::size_t>(kFiles)) << "one PUT each";
  EXPECT_EQ(r.sent_unasked + heads, static_cast<std::uint64_t>(kFiles))
      << "every file either asked about or sent unasked";
  EXPECT_LT(heads, static_cast<std::size_t>(kFiles / 4)) << "a HEAD per file into an empty remote";
  EXPECT_GE(heads, 64u) << "the first batch is asked about";
}

TEST_F(PushAskTest, IntoARemoteThatHasThemEveryHashIsAskedAndNothingSent) {
  ASSERT_EQ(push(*store_, *remote_).uploaded, static_cast<std::uint64_t>(kFiles));
  const std::size_t heads_before = count_of(log_with("PUT", kFiles), "\"HEAD /cas/");
  PushResult again = push(*store_, *remote_);
  EXPECT_EQ(again.already_present, static_cast<std::uint64_t>(kFiles));
  EXPECT_EQ(again.uploaded, 0u);
  EXPECT_EQ(again.sent_unasked, 0u);
  const std::string log = log_with("HEAD", heads_before + kFiles);
  EXPECT_EQ(count_of(log, "\"HEAD /cas/"), heads_before + kFiles);
  EXPECT_EQ(count_of(log, "\"PUT /cas/"), static_cast<std::size_t>(kFiles)) << "sent again";
}

TEST_F(PushAskTest, AlwaysAskAsksAboutEveryHash) {
  PushOptions options;
  options.ask = PushAsk::always;
  expect_a_head_and_a_put_each(options);
}

TEST_F(PushAskTest, FilesLargerThanTheLimitAreAlwaysAskedAbout) {
  PushOptions options;
  options.unasked_max_bytes = 0;  // every file is larger
  expect_a_head_and_a_put_each(options);
}

TEST_F(PushAskTest, ADryRunAsksAboutEveryHashAndSendsNothing) {
  PushOptions options;
  options.dry_run = true;
  PushResult r = push(*store_, *remote_, options);
  EXPECT_EQ(r.uploaded, static_cast<std::uint64_t>(kFiles));
  EXPECT_EQ(r.sent_unasked, 0u);
  const std::string log = log_with("HEAD", kFiles);
  EXPECT_EQ(count_of(log, "\"HEAD /cas/"), static_cast<std::size_t>(kFiles));
  EXPECT_EQ(count_of(log, "\"PUT /cas/"), 0u);
  EXPECT_EQ(objects_on_server(), 0u);
}

}  // namespace
}  // namespace cas
