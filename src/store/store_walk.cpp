// Store::walk and cas::list: list the store (or a part of it) on the store engine, then visit
// each hash once.
#include <algorithm>
#include <mutex>
#include <optional>

#include "cas/errors.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "store/store_engine.hpp"
#include "util/posix_error.hpp"

namespace cas {

ListResult list(const Store& store, const OperationOptions& options) {
  std::mutex mu;
  ListResult result;
  std::optional<WalkError> error;

  detail::StoreEngine engine(store, options);
  engine.one_file_system = false;  // a listing reports what is there, mounts included
  engine.on_file = [&](const detail::StoreFile& f) {
    std::lock_guard<std::mutex> lock(mu);
    if (f.layout) {
      result.hashes.emplace_back(f.hash);
    } else {
      result.unrecognized.emplace_back(f.entry.rel_path);
    }
  };
  engine.on_walk_error = [&](const WalkError& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!error) error = e;
  };
  engine.run();
  if (error) throw_errno(error->code, error->operation, error->path);
  std::sort(result.hashes.begin(), result.hashes.end());
  result.hashes.erase(std::unique(result.hashes.begin(), result.hashes.end()), result.hashes.end());
  std::sort(result.unrecognized.begin(), result.unrecognized.end());
  return result;
}

void Store::walk(const std::function<void(const std::string& hash)>& visit) const {
  ListResult listed = list(*this);
  // Visited from the calling thread, after the walk: `visit` may change the store.
  for (const auto& hash : listed.hashes) visit(hash);
  if (!listed.unrecognized.empty()) throw UnrecognizedPathsError(std::move(listed.unrecognized));
}

}  // namespace cas
