#include "hash_list.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/layout.hpp"
#include "cli.hpp"
#include "hash_args.hpp"

namespace cas::cli {
namespace {

constexpr std::string_view kBlanks = " \t\r\v\f\n";

}  // namespace

std::size_t read_hash_list(std::FILE* in, const std::string& name,
                           std::unordered_set<std::string>& out) {
  // getline(3) rather than std::getline: ferror() tells a read error from the end of the file,
  // which an ifstream does not.
  char* buffer = nullptr;
  std::size_t capacity = 0;
  struct Freer {
    char*& p;
    ~Freer() { std::free(p); }
  } freer{buffer};
  std::size_t number = 0, hashes = 0;
  for (ssize_t got; (got = ::getline(&buffer, &capacity, in)) >= 0;) {
    ++number;
    std::string_view line(buffer, static_cast<std::size_t>(got));
    const std::size_t start = line.find_first_not_of(kBlanks);
    if (start == std::string_view::npos || line[start] == '#') continue;
    std::size_t end = line.find_first_of(kBlanks, start);
    if (end == std::string_view::npos) end = line.size();
    std::string_view hash = line.substr(start, end - start);
    if (hash.starts_with('\\')) hash.remove_prefix(1);
    try {
      validate_hash(hash);
    } catch (const InvalidHashError& e) {
      throw UsageError(name + ":" + std::to_string(number), e.what());
    }
    // A truncated hash would match nothing: gc would remove what it stands for.
    if (!algorithm_for_length(hash.size())) {
      throw UsageError(name + ":" + std::to_string(number) + ": " + std::string(hash),
                       kNotAFullHash);
    }
    out.emplace(hash);
    ++hashes;
  }
  if (std::ferror(in)) throw UsageError(name, std::string("read error: ") + std::strerror(errno));
  return hashes;
}

std::size_t read_hash_list_file(const std::string& path, std::unordered_set<std::string>& out) {
  if (path == "-") return read_hash_list(stdin, "stdin", out);
  std::FILE* file = std::fopen(path.c_str(), "re");
  if (!file) throw UsageError(path, std::strerror(errno));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{file};
  struct stat st;
  if (::fstat(::fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw UsageError(path, "is a directory");
  }
  return read_hash_list(file, path, out);
}

void read_keep_lists(const std::string& command, const std::vector<std::string>& files,
                     bool allow_empty, std::unordered_set<std::string>& out) {
  for (const auto& file : files) {
    if (read_hash_list_file(file, out) == 0 && !allow_empty) {
      throw UsageError(command + " --keep",
                       (file == "-" ? std::string("stdin") : file) +
                           ": no hash in the list (an empty list keeps nothing: give "
                           "--allow-empty-keep if that is meant)");
    }
  }
}

// Shared by cas and cas-mpi (which compiles this file but not cas's main.cpp).
const CLI::Validator& algorithm_name_check() {
  static const CLI::Validator check(
      [](std::string& name) {
        try {
          parse_hash_algorithm(name);
          return std::string();
        } catch (const InvalidArgumentError& e) {
          return std::string(e.what());
        }
      },
      "");
  return check;
}

}  // namespace cas::cli
