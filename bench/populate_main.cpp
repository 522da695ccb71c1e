// cas-populate: create a benchmark store of N files (named by their sha256) in a layout.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "cas/errors.hpp"
#include "cas/layout.hpp"
#include "parse_number.hpp"
#include "tree_generator.hpp"

namespace {
constexpr const char* kUsage =
    "usage: cas-populate [--layout v1|v0|fanout:W,...] [--files N] [--size BYTES]\n"
    "                    [--first I] [--threads N] DIR\n"
    "\n"
    "Creates files FIRST..FIRST+N-1 (default 0..9999) under DIR as the layout (default v1)\n"
    "places them. File i holds a deterministic SIZE-byte payload (default 100) and is named\n"
    "by its sha256, so the result is a valid store. Uses THREADS threads (default 16).\n";
}

int main(int argc, char** argv) {
  std::string layout_name = "v1", dir;
  std::uint64_t files = 10000, first = 0;
  std::size_t size = 100;
  unsigned threads = 16;
  std::shared_ptr<const cas::Layout> layout;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--layout") {
        layout_name = value();
      } else if (a == "--files") {
        files = cas::bench::parse_count(a, value());
      } else if (a == "--first") {
        first = cas::bench::parse_count(a, value());
      } else if (a == "--size") {
        size = cas::bench::parse_count(a, value());
      } else if (a == "--threads") {
        threads = static_cast<unsigned>(
            std::min<std::uint64_t>(cas::bench::parse_count(a, value()), 4096));
      } else if (!a.empty() && a[0] == '-') {
        throw std::invalid_argument("unknown option " + a);
      } else if (dir.empty()) {
        dir = a;
      } else {
        throw std::invalid_argument("extra argument " + a);
      }
    }
    if (dir.empty()) throw std::invalid_argument("no DIR given");
    layout = cas::layout_by_name(layout_name);  // an unknown name is a usage error
  } catch (const std::exception& e) {
    std::cerr << "cas-populate: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    cas::bench::populate(dir, *layout, first, files, size, threads);
  } catch (const std::exception& e) {
    std::cerr << "cas-populate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
