#include "context.hpp"

#include <unistd.h>

#include <stdexcept>
#include <utility>

#include <boost/filesystem/operations.hpp>

#include "cas/layout.hpp"

namespace cas::cli {
namespace {

std::vector<std::shared_ptr<const Layout>> parse_layouts(const std::string& names) {
  try {
    return layouts_by_names(names);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--layouts", e.what());
  }
}

}  // namespace

Context::Context(GlobalOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw UsageError("--root", "the root path is empty");
  StoreOptions store_options;
  store_options.read_only = options_.read_only;
  store_options.layouts = parse_layouts(options_.layouts);
  store_ = std::make_unique<Store>(options_.root, std::move(store_options));
}

bool Context::show_progress() const { return !options_.quiet && ::isatty(STDERR_FILENO) == 1; }

std::unique_ptr<Store> Context::open_source(const boost::filesystem::path& root) const {
  StoreOptions source_options;
  source_options.read_only = true;
  source_options.layouts = store_->layouts();
  return std::make_unique<Store>(root, std::move(source_options));
}

void Context::require_existing_root(const std::string& command) const {
  boost::system::error_code ec;
  auto status = boost::filesystem::status(store_->root(), ec);
  if (status.type() == boost::filesystem::file_not_found) {
    throw UsageError(command, store_->root().string() + ": no such directory");
  }
  if (!ec && status.type() != boost::filesystem::directory_file) {
    throw UsageError(command, store_->root().string() + ": not a directory");
  }
  // Any other error (EACCES on a parent, say) is the operation's to report, with its errno.
}

void Context::require_writable(const std::string& command) const {
  if (options_.read_only) {
    throw UsageError(command, "the store is read-only (--read-only)");
  }
}

}  // namespace cas::cli
