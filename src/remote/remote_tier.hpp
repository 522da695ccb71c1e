// Internal: the door cas::push and cas::pull (src/remote/remote_transfer.cpp) use into a Store's
// internals, to publish what they fetch through the store's own temp area and publish path.
//
// Thread-safety: as Store's.
#pragma once

#include <string>
#include <vector>

#include "cas/remote.hpp"
#include "cas/store.hpp"

namespace cas::detail {

class RemoteTier {
 public:
  // StoreImpl::fetch_and_publish of `store` (src/store/store_impl.hpp).
  static std::vector<RemoteResult> fetch_and_publish(Store& store, Remote& remote,
                                                     const std::vector<std::string>& hashes,
                                                     Durability durability);
};

}  // namespace cas::detail
