// cas::checkout_tree with a store that has a remote (a real nginx on loopback; skipped without
// nginx): a hash only the remote has is read through, verified and laid out; one that neither
// has fails its entry only.
#include <gtest/gtest.h>

#include "cas/checkout.hpp"
#include "cas/remote.hpp"
#include "checkout_test_util.hpp"
#include "nginx_server.hpp"

namespace cas {
namespace {

TEST(CheckoutRemoteTest, AHashOnlyOnTheRemoteIsReadThroughAndOneNowhereFails) {
  CAS_SKIP_WITHOUT_NGINX();
  test::NginxServer nginx;
  test::TempDir dir;
  const std::string content = "only on the remote\n";
  const std::string hash = test::sha256(content);
  test::write_file(nginx.data_dir() / "cas" / hash, content);
  HttpRemoteOptions ro;
  ro.connect_timeout_ms = 2000;
  StoreOptions o;
  o.remote = std::make_shared<HttpRemote>(nginx.url(), ro);
  Store store(dir / "store", o);
  const std::string nowhere = test::sha256("nowhere\n");
  const CheckoutResult r =
      checkout_tree(store, {{hash, "a"}, {nowhere, "b"}}, dir / "tree", {LinkMode::hardlink, 1});
  EXPECT_EQ(r.hardlinked, 1u);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("nor on its remote"), std::string::npos) << r.errors[0];
  EXPECT_EQ(test::read_file(dir / "tree/a"), content);
  EXPECT_TRUE(test::same_inode(dir / "tree/a", store.preferred_path(hash)));
  EXPECT_EQ(store.remote_stats().fetched, 1u);
}

}  // namespace
}  // namespace cas
