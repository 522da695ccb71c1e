// detail::Incoming: the door for bytes that arrive from elsewhere (incoming.hpp).
#include "store/incoming.hpp"

#include <utility>

#include "cas/errors.hpp"
#include "store/store_impl.hpp"

namespace cas::detail {

Incoming::Incoming(Store& store) : impl_(*store.impl_) {
  if (impl_.read_only_.load()) throw ReadOnlyError("create", impl_.root_str_);
}

IncomingFile Incoming::create() {
  int fd = -1;
  std::string name = impl_.temp_.create(&fd);
  std::string display = impl_.temp_.display(name);
  return IncomingFile(TempGuard(*impl_.fs_, name, fd), std::move(name), std::move(display));
}

void Incoming::publish(IncomingFile file, std::string_view hash, Durability durability) {
  impl_.preferred_layout(hash);  // InvalidHashError before the temp is handed over
  const int fd = file.guard_.fd();
  file.guard_.release();  // publish_fd owns the descriptor and the temp from here
  impl_.publish_fd(fd, file.name_, hash, nullptr, durability);
}

std::vector<RemoteResult> Incoming::fetch(Remote& remote, const std::vector<std::string>& hashes,
                                          Durability durability) {
  return impl_.fetch_and_publish(remote, hashes, durability);
}

}  // namespace cas::detail
