// cas-populate: create a benchmark store of N files (named by their sha256) in a layout.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "tool_cli.hpp"
#include "tree_generator.hpp"

namespace {

struct Config {
  std::string layout_name = "v1";
  std::string dir;
  std::uint64_t files = 10000;
  std::uint64_t first = 0;
  std::size_t size = 100;
  unsigned threads = 16;
  std::uint64_t age_spread_days = 0;
};

void add_options(CLI::App& app, Config& cfg) {
  using cas::tool::add_number;
  app.add_option("--layout", cfg.layout_name,
                 "layout the files are placed by: v1, v0, fanout:W,...")
      ->type_name("LAYOUT")
      ->capture_default_str();
  add_number(app, "--files", cfg.files, "how many files")->type_name("N");
  add_number(app, "--size", cfg.size, "bytes per file")->type_name("BYTES");
  add_number(app, "--first", cfg.first, "index of the first file")->type_name("I");
  // More threads than this only contend; a larger number is taken as this many.
  add_number(app, "--threads", cfg.threads, "threads that create the files (at most 4096)")
      ->type_name("N")
      ->transform(CLI::Bound(std::uint64_t{0}, std::uint64_t{4096}).description(""));
  add_number(app, "--age-spread", cfg.age_spread_days,
             "give each file access and modification times up to DAYS days old, spread evenly "
             "(the same for the same file index; default: now)")
      ->type_name("DAYS");
  app.add_option("DIR", cfg.dir, "where the store is created")->required();
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app(
      "Creates files FIRST..FIRST+N-1 (default 0..9999) under DIR as the layout (default v1)\n"
      "places them. File i holds a deterministic SIZE-byte payload (default 100) and is named\n"
      "by its sha256, so the result is a valid store. Uses THREADS threads (default 16).",
      "cas-populate");
  cas::tool::add_version_flag(app);
  add_options(app, cfg);
  if (auto exit_code = cas::tool::parse(app, argc, argv)) return *exit_code;
  std::shared_ptr<const cas::Layout> layout;
  try {
    layout = cas::layout_by_name(cfg.layout_name);  // an unknown name is a usage error
  } catch (const std::exception& e) {
    return cas::tool::usage_error(app, e.what());
  }
  try {
    cas::bench::populate(cfg.dir, *layout, cfg.first, cfg.files, cfg.size, cfg.threads, {},
                         cfg.age_spread_days * 86400);
  } catch (const std::exception& e) {
    std::cerr << "cas-populate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
