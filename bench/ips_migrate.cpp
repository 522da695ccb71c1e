// cas-ips-migrate: the IPS method of migrating a store, as a baseline for `cas migrate`.
//
// IPS (pkg.migrate / FileManager) walks the whole tree first, then looks up every hash in
// one thread; each lookup of a V0 file renames it to V1 and prunes its emptied directories.
// This is that algorithm on this library's Store, so the comparison isolates the method
// (one thread, walk then rename) from the implementation language.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cas/errors.hpp"
#include "cas/store.hpp"
#include "tool_cli.hpp"

int main(int argc, char** argv) {
  std::string root;
  CLI::App app(
      "Migrates ROOT from V0 to V1 the way IPS does: walk everything, then look up each hash "
      "(one thread).",
      "cas-ips-migrate");
  cas::tool::add_version_flag(app);
  app.add_option("ROOT", root, "the store's root")->required();
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  try {
    cas::Store store(root);
    std::vector<std::string> hashes;
    try {
      store.walk([&](const std::string& h) { hashes.push_back(h); });
    } catch (const cas::UnrecognizedPathsError& e) {
      std::cerr << "cas-ips-migrate: " << e.paths().size() << " unrecognized paths\n";
    }
    std::size_t moved = 0;
    for (const auto& h : hashes) moved += store.lookup(h).has_value();
    std::cout << "looked up " << moved << " of " << hashes.size() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cas-ips-migrate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
