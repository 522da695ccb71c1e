// The process-wide list of named temp files, and their removal before a signalled exit.
#include "store/named_temps.hpp"

#include <unistd.h>

#include <mutex>
#include <unordered_set>

#include "cas/store.hpp"

namespace cas {
namespace detail {
namespace {

struct NamedTemps {
  std::mutex mu;
  std::unordered_set<std::string> paths;
};

// Never destroyed: the list is used until the last instant of the process, after static
// destructors may have run.
NamedTemps& named_temps() {
  static auto* temps = new NamedTemps;
  return *temps;
}

}  // namespace

void add_named_temp(const std::string& path) {
  NamedTemps& temps = named_temps();
  std::lock_guard lock(temps.mu);
  temps.paths.insert(path);
}

void erase_named_temp(const std::string& path) {
  NamedTemps& temps = named_temps();
  std::lock_guard lock(temps.mu);
  temps.paths.erase(path);
}

}  // namespace detail

void discard_temp_files_for_exit() {
  detail::NamedTemps& temps = detail::named_temps();
  // Taken and never given back: a writer that would create a new temp waits here until the
  // process dies, so nothing is created after the cleanup.
  temps.mu.lock();
  for (const std::string& path : temps.paths) ::unlink(path.c_str());
  temps.paths.clear();
}

}  // namespace cas
