// cas-demo: a short tour of the store in a temporary directory — put, insert, migrate a legacy
// V0 file on lookup, walk, remove — printing what happens at each step.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/filesystem.hpp>

#include "cas/cas.hpp"
#include "tool_cli.hpp"

namespace fs = boost::filesystem;

namespace {

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p.string(), std::ios::binary) << content;
}

std::string rel(const cas::Store& store, const fs::path& p) {
  return p.lexically_relative(store.root()).string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "Creates a store in a temporary directory, inserts files, migrates a legacy V0 file on "
      "lookup, walks and removes, printing each step.",
      "cas-demo");
  cas::tool::add_version_flag(app);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  try {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("cas-demo-%%%%%%%%");
    cas::Store store(dir / "store");
    std::cout << "store root: " << store.root() << " (layouts v1 then v0)\n";

    write(dir / "download.txt", "hello, content-addressed world\n");
    std::string hash = store.put(dir / "download.txt");
    std::cout << "put download.txt        -> " << hash << "\n"
              << "  stored at               " << rel(store, store.preferred_path(hash)) << "\n";

    // A legacy cache wrote files with the V0 layout: h[0:2]/h[2:8]/h.
    std::string legacy_content = "a file from an old V0 cache\n";
    std::string legacy = cas::hash_bytes(legacy_content, cas::HashAlgorithm::sha256);
    fs::path v0_path = store.root() / cas::V0Layout().lookup(legacy);
    write(v0_path, legacy_content);
    std::cout << "legacy V0 file          -> " << rel(store, v0_path) << "\n";

    auto found = store.lookup(legacy);
    std::cout << "lookup migrates it to   -> " << rel(store, *found) << "\n"
              << "  old V0 directory gone:  " << std::boolalpha
              << !fs::exists(v0_path.parent_path()) << "\n";

    auto in = store.open(legacy);
    std::string content((std::istreambuf_iterator<char>(*in)), std::istreambuf_iterator<char>());
    std::cout << "open + read             -> " << content;

    std::cout << "walk:\n";
    store.walk([](const std::string& h) { std::cout << "  " << h << "\n"; });

    store.remove(hash);
    std::cout << "remove " << hash.substr(0, 12)
              << "...   -> present: " << store.lookup(hash).has_value() << "\n";
    fs::remove_all(dir);
    std::cout << "demo OK\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cas-demo: " << e.what() << "\n";
    return 1;
  }
}
