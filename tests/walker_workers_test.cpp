// The walker starts its worker threads as queued directories need them: a walk with nothing to
// share (a chain of directories, a filter that keeps one directory) runs on the calling thread
// alone, and a wide tree still spreads over several workers.
#include <dirent.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cas/walker.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::TempDir;
using test::write_file;

// The threads of this process now.
std::size_t thread_count() {
  std::size_t n = 0;
  for (fs::directory_iterator it("/proc/self/task"), end; it != end; ++it) ++n;
  return n;
}

// What the visits saw: the workers and the most threads this process had at a visit.
struct Observed {
  std::mutex mu;
  std::set<unsigned> workers;
  std::size_t max_threads = 0;
  std::size_t visits = 0;

  WalkAction add(const WalkEntry& e) {
    const std::size_t threads = thread_count();
    std::lock_guard lock(mu);
    workers.insert(e.worker);
    max_threads = std::max(max_threads, threads);
    ++visits;
    return WalkAction::proceed;
  }
};

TEST(WalkerWorkersTest, AChainOfDirectoriesRunsOnTheCallingThreadAlone) {
  TempDir tmp;
  fs::path dir = tmp.path();
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    dir /= name;
    write_file(dir / "file", "x");
  }
  WalkOptions o;
  o.threads = 64;
  o.report_directories = true;
  Observed seen;
  const std::size_t before = thread_count();
  Walker(o).walk(tmp.path(), [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.visits, 10u);  // five directories, five files
  EXPECT_EQ(seen.workers, std::set<unsigned>{0});
  EXPECT_EQ(seen.max_threads, before);
}

TEST(WalkerWorkersTest, AFilterThatKeepsOneDirectoryStartsNoThread) {
  // cas-mpi's buckets: the root holds many directories and the run takes one of them.
  TempDir tmp;
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 4; ++j) {
      write_file(tmp.path() / std::to_string(i) / std::to_string(j) / "file", "x");
    }
  }
  WalkOptions o;
  o.threads = 64;
  o.filter = [](const WalkEntry& e) { return e.depth != 1 || e.name == "7"; };
  Observed seen;
  const std::size_t before = thread_count();
  Walker(o).walk(tmp.path(), [&](const WalkEntry& e) { return seen.add(e); });
  EXPECT_EQ(seen.visits, 4u);
  // Directory 7 holds four subdirectories: up to three threads may start for them, not 63.
  EXPECT_LE(seen.max_threads, before + 3);
}

TEST(WalkerWorkersTest, AWideTreeIsWalkedBySeveralWorkers) {
  TempDir tmp;
  for (int i = 0; i < 64; ++i) write_file(tmp.path() / std::to_string(i) / "file", "x");
  WalkOptions o;
  o.threads = 8;
  // Each visit of a file waits (up to 20 s) until a second worker has visited one: the walk
  // ends quickly only if the queued directories did start more workers.
  std::mutex mu;
  std::condition_variable cv;
  std::set<unsigned> workers;
  Walker(o).walk(tmp.path(), [&](const WalkEntry& e) {
    if (e.type != DT_REG) return WalkAction::proceed;
    std::unique_lock lock(mu);
    workers.insert(e.worker);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return workers.size() >= 2; });
    return WalkAction::proceed;
  });
  EXPECT_GE(workers.size(), 2u);
}

}  // namespace
}  // namespace cas
