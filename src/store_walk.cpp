// Store::walk: list the whole store on the store engine, then visit each hash once.
#include <algorithm>
#include <mutex>
#include <optional>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "posix_error.hpp"
#include "store_engine.hpp"

namespace cas {

void Store::walk(const std::function<void(const std::string& hash)>& visit) const {
  std::mutex mu;
  std::vector<std::string> hashes;
  std::vector<std::string> unrecognized;
  std::optional<WalkError> error;

  OperationOptions options;
  detail::StoreEngine engine(*this, options);
  engine.one_file_system = false;  // a listing reports what is there, mounts included
  engine.on_file = [&](const detail::StoreFile& f) {
    std::lock_guard<std::mutex> lock(mu);
    if (f.layout) {
      hashes.emplace_back(f.hash);
    } else {
      unrecognized.emplace_back(f.entry.rel_path);
    }
  };
  engine.on_walk_error = [&](const WalkError& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!error) error = e;
  };
  engine.run();
  if (error) throw_errno(error->code, error->operation, error->path);

  // Visited from the calling thread, after the walk: `visit` may change the store.
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  for (const auto& hash : hashes) visit(hash);
  if (!unrecognized.empty()) {
    std::sort(unrecognized.begin(), unrecognized.end());
    throw UnrecognizedPathsError(std::move(unrecognized));
  }
}

}  // namespace cas
