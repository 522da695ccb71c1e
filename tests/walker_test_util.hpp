// What the walker tests share (walker_test.cpp, walker_stop_test.cpp, walker_exit_hook_test.cpp,
// walker_mount_test.cpp): a collector of what a walk saw, options with N threads, and `find`'s
// listing below a root to compare it with.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/filesystem.hpp>

#include "cas/walker.hpp"
#include "walker_test_tree.hpp"

namespace cas::test {

// Collects what a walk saw, from any number of workers.
struct Seen {
  std::mutex mu;
  std::multiset<std::string> rel_paths;
  std::multiset<std::string> records;  // "<ino>\t<rel_path>"
  std::vector<WalkError> errors;

  WalkAction add(const WalkEntry& e) {
    std::lock_guard lock(mu);
    rel_paths.emplace(e.rel_path);
    records.insert(std::to_string(e.ino) + "\t" + std::string(e.rel_path));
    return WalkAction::proceed;
  }
  ErrorAction error(const WalkError& e) {
    std::lock_guard lock(mu);
    errors.push_back(e);
    return ErrorAction::proceed;
  }
};

inline WalkOptions with_threads(unsigned n) {
  WalkOptions o;
  o.threads = n;
  return o;
}

// What `find ROOT -mindepth 1 PREDICATES -printf FORMAT` lists: by default the root-relative
// paths of everything below the root.
inline std::multiset<std::string> find_rel(const boost::filesystem::path& root,
                                           std::vector<std::string> predicates,
                                           const std::string& format = "%P") {
  predicates.insert(predicates.begin(), "-mindepth");
  predicates.insert(predicates.begin() + 1, "1");
  return find_records(root, predicates, format);
}

}  // namespace cas::test
