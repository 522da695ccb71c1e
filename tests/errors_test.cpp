// The exceptions of include/cas/errors.hpp, and throw_errno, the one place an errno value
// becomes one of them.
#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "cas/errors.hpp"

namespace cas {
namespace {

// What throw_errno(code, ...) throws, caught as the base that every failure shares.
template <typename Expected>
void expect_thrown_as(int code) {
  try {
    throw_errno(code, "open", "/srv/cache/58/584b");
  } catch (const Error& e) {
    const auto* io = dynamic_cast<const IoError*>(&e);
    ASSERT_NE(io, nullptr) << e.what();
    EXPECT_NE(dynamic_cast<const Expected*>(&e), nullptr) << e.what();
    EXPECT_EQ(io->code(), code);
    EXPECT_EQ(io->path(), "/srv/cache/58/584b");
    EXPECT_EQ(std::string(e.what()), "open /srv/cache/58/584b: " + std::string(strerror(code)));
  }
}

TEST(ErrorsTest, ThrowErrnoMakesRefusalsPermissionErrorsAndOtherErrnosIoErrors) {
  expect_thrown_as<PermissionError>(EACCES);
  expect_thrown_as<PermissionError>(EPERM);
  expect_thrown_as<PermissionError>(EROFS);
  for (int code : {EIO, ENOENT, ENOSPC}) {
    SCOPED_TRACE(code);
    expect_thrown_as<IoError>(code);
    try {
      throw_errno(code, "open", "/srv");
    } catch (const PermissionError&) {
      ADD_FAILURE() << "errno " << code << " is not a refusal";
    } catch (const IoError&) {
    }
  }
}

}  // namespace
}  // namespace cas
