// cas: a content-addressed file store. Include this umbrella header for the whole public API.
#pragma once

#include "cas/errors.hpp"
#include "cas/file_system.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/store.hpp"
#if __has_include("cas/directory.hpp")
#include "cas/directory.hpp"
#endif
#if __has_include("cas/walker.hpp")
#include "cas/walker.hpp"
#endif
