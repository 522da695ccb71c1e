// remove() racing a migration, made deterministic through the FileSystem seam: between the
// unlinks remove() makes, another Store on the same root (another process, in real life)
// looks the hash up, which migrates an old-layout copy to the preferred place. Whatever the
// interleaving, once remove() has returned the hash must be gone under every layout: that is
// why remove drops the preferred copy last.
#include <functional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

// Runs `after_next_unlink` once, right after the next unlink has reached the filesystem.
class UnlinkHookFs : public FileSystemWrapper {
 public:
  UnlinkHookFs() : FileSystemWrapper(FileSystem::posix()) {}

  std::function<void()> after_next_unlink;

  int unlink(const char* path) override {
    int err = FileSystemWrapper::unlink(path);
    if (auto hook = std::exchange(after_next_unlink, nullptr)) hook();
    return err;
  }
};

TEST(StoreRemoveRaceTest, AMigratingLookupBetweenRemovesUnlinksCannotResurrectTheHash) {
  const std::string content = "removed while another process migrates it";
  const std::string h = hash_bytes(content, HashAlgorithm::sha256);
  const V0Layout v0;
  const V1Layout v1;
  for (bool preferred_copy_too : {false, true}) {
    SCOPED_TRACE(preferred_copy_too ? "copies under v1 and v0" : "a copy under v0 only");
    test::TempDir tmp;
    const fs::path root = tmp / "store";
    test::write_file(root / v0.lookup(h), content);
    if (preferred_copy_too) test::write_file(root / v1.lookup(h), content);

    auto hooks = std::make_shared<UnlinkHookFs>();
    Store remover(root, StoreOptions{.file_system = hooks});
    Store migrator(root, StoreOptions{.layouts = {layout_by_name("v1"), layout_by_name("v0")}});
    bool migrator_ran = false;
    hooks->after_next_unlink = [&] {
      migrator_ran = true;
      migrator.lookup(h);  // renames a v0 copy it finds to the v1 place
    };
    remover.remove(h);
    ASSERT_TRUE(migrator_ran) << "remove() made no unlink";

    EXPECT_FALSE(fs::exists(root / v1.lookup(h))) << "the preferred copy came back";
    EXPECT_FALSE(fs::exists(root / v0.lookup(h)));
    EXPECT_FALSE(migrator.lookup(h).has_value());
    EXPECT_FALSE(remover.open(h)) << "open still finds the removed hash";
  }
}

}  // namespace
}  // namespace cas
