#include "context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <boost/filesystem/operations.hpp>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "cas/sharded_remote.hpp"
#include "diagnostics.hpp"
#include "remote_list.hpp"

namespace cas::cli {
namespace {

std::vector<std::shared_ptr<const Layout>> parse_layouts(const std::string& names) {
  try {
    return layouts_by_names(names);
  } catch (const InvalidArgumentError& e) {
    throw UsageError("--layouts", e.what());
  }
}

cas::HttpRemoteOptions remote_options(const GlobalOptions& options, unsigned max_in_flight) {
  cas::HttpRemoteOptions o;
  if (!options.remote_ca.empty()) o.ca_file = boost::filesystem::path(options.remote_ca);
  // As curl -n: ~/.netrc credentials for the host, when there is a ~/.netrc (else curl would
  // look for it again on every request).
  const char* home = std::getenv("HOME");
  o.use_netrc = home && ::access((std::string(home) + "/.netrc").c_str(), R_OK) == 0;
  if (!options.remote_header.empty()) o.header = options.remote_header;
  if (max_in_flight > 0) o.max_in_flight = max_in_flight;
  return o;
}

std::shared_ptr<cas::Remote> make_remote(const GlobalOptions& options, const std::string& url,
                                         unsigned max_in_flight) {
  try {
    // http(s):// or s3:// (cas::open_remote dispatches on the scheme).
    return cas::open_remote(url, remote_options(options, max_in_flight));
  } catch (const InvalidArgumentError& e) {
    throw UsageError("--remote", e.what());
  }
}

// One server's remote, or several sharing the hashes: each keeps `max_in_flight` requests in
// flight. A server's identity for placement is its URL (credentials dropped by ShardPlacement).
std::shared_ptr<cas::Remote> make_remotes(const GlobalOptions& options, unsigned max_in_flight) {
  const std::vector<RemoteSpec> specs = parse_remote_list(options.remote);
  if (specs.empty()) throw UsageError("--remote", "no URL given");
  if (specs.size() == 1) return make_remote(options, specs.front().url, max_in_flight);
  std::vector<RemoteShard> shards;
  for (const RemoteSpec& spec : specs) {
    shards.push_back({make_remote(options, spec.url, max_in_flight), spec.url, spec.weight});
  }
  try {
    return std::make_shared<ShardedRemote>(std::move(shards));
  } catch (const InvalidArgumentError& e) {
    throw UsageError("--remote", e.what());  // the same server twice
  }
}

}  // namespace

Context::Context(GlobalOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw UsageError("--root", "the root path is empty");
  StoreOptions store_options;
  store_options.read_only = options_.read_only;
  store_options.layouts = parse_layouts(options_.layouts);
  if (options_.remote.empty() && (!options_.remote_ca.empty() || !options_.remote_header.empty() ||
                                  options_.remote_read_only)) {
    throw UsageError("--remote", "--remote-ca, --remote-header and --remote-read-only need it");
  }
  if (!options_.remote.empty()) {
    store_options.remote = make_remotes(options_, 0);
    store_options.remote_mode =
        options_.remote_read_only ? RemoteMode::read_only : RemoteMode::read_write;
    store_options.on_remote_error = [](const std::string& why) { print_error("remote", why); };
  }
  store_ = std::make_unique<Store>(options_.root, std::move(store_options));
}

std::shared_ptr<Remote> Context::remote(const std::string& command, unsigned max_in_flight) const {
  if (options_.remote.empty()) {
    throw UsageError(command, "no remote: give --remote URL (or set CAS_REMOTE)");
  }
  return make_remotes(options_, max_in_flight);
}

int Context::with_remote_failures(int code) const {
  if (code != kExitOk || !store_) return code;
  const RemoteStats stats = store_->remote_stats();
  return stats.upload_errors + stats.fetch_errors > 0 ? kExitFailed : code;
}

void Context::set_verify_on_insert() {
  StoreOptions options = store_->options();
  options.verify_on_insert = true;
  store_ = std::make_unique<Store>(store_->root(), std::move(options));
}

bool Context::show_progress() const { return !options_.quiet && ::isatty(STDERR_FILENO) == 1; }

std::unique_ptr<Store> Context::open_source(const boost::filesystem::path& root) const {
  StoreOptions source_options;
  source_options.read_only = true;
  source_options.layouts = store_->layouts();
  return std::make_unique<Store>(root, std::move(source_options));
}

void Context::check_root(RootUse use, const std::string& command) const {
  boost::system::error_code ec;
  auto status = boost::filesystem::status(store_->root(), ec);
  if (status.type() == boost::filesystem::file_not_found) {
    const bool creates =
        use == RootUse::created ||
        (use == RootUse::read_through && !options_.remote.empty() && !options_.read_only);
    if (creates) return;
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
