// cas: a content-addressed file store. Include this umbrella header for the whole public API:
// layouts, hashing, the Store, the descriptors it hands out and its FileSystem seam, the store-wide
// operations, pins, the parallel Walker and the Directory reader, and the errors they throw.
#pragma once

#include "cas/checkout.hpp"
#include "cas/directory.hpp"
#include "cas/errors.hpp"
#include "cas/fetch.hpp"
#include "cas/file_system.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cas/operations.hpp"
#include "cas/pins.hpp"
#include "cas/remote.hpp"
#include "cas/remote_transfer.hpp"
#include "cas/s3_remote.hpp"
#include "cas/sharded_remote.hpp"
#include "cas/store.hpp"
#include "cas/unique_fd.hpp"
#include "cas/walker.hpp"
