// Ending a walk early: a visitor's stop, Walker::stop from another thread, a visitor's
// exception, and an error handler's stop.
#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "cas/walker.hpp"
#include "test_util.hpp"
#include "walker_test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;
using test::find_rel, test::TempDir, test::with_threads, test::write_file;

TEST(WalkerTest, VisitorStopEndsTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  for (unsigned threads : {1u, 8u}) {
    std::atomic<unsigned> visits{0};
    Walker walker(with_threads(threads));
    WalkStats stats = walker.walk(root, [&](const WalkEntry&) {
      ++visits;
      return WalkAction::stop;
    });
    EXPECT_TRUE(stats.stopped);
    // Every worker finishes at most the call it is in once the stop is requested.
    EXPECT_GE(visits.load(), 1u);
    EXPECT_LE(visits.load(), threads);
  }
}

TEST(WalkerTest, StopFromAnotherThreadEndsTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  Walker walker(with_threads(4));
  std::promise<void> first_visit, stopped;
  std::shared_future<void> stopped_future = stopped.get_future().share();
  std::atomic<bool> first{true};
  std::atomic<unsigned> after_stop{0};
  std::thread stopper([&] {
    first_visit.get_future().wait();
    walker.stop();
    stopped.set_value();
  });
  WalkStats stats = walker.walk(root, [&](const WalkEntry&) {
    if (first.exchange(false)) {
      first_visit.set_value();
      stopped_future.wait();
    } else if (stopped_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      ++after_stop;
    }
    return WalkAction::proceed;
  });
  stopper.join();
  EXPECT_TRUE(stats.stopped);
  EXPECT_LE(after_stop.load(), walker.threads());
  EXPECT_LT(stats.entries, 3000u);

  // A later walk on the same Walker starts afresh.
  std::atomic<int> visits{0};
  stats = walker.walk(root, [&](const WalkEntry&) {
    ++visits;
    return WalkAction::proceed;
  });
  EXPECT_FALSE(stats.stopped);
  EXPECT_EQ(static_cast<std::size_t>(visits.load()), find_rel(root, {"!", "-type", "d"}).size());
}

TEST(WalkerTest, VisitorExceptionIsRethrownAfterTheWalk) {
  const fs::path& root = test::shared_awkward_tree();
  Walker walker(with_threads(8));
  EXPECT_THROW(walker.walk(root,
                           [](const WalkEntry& e) -> WalkAction {
                             if (e.name == "leaf") throw std::runtime_error("boom");
                             return WalkAction::proceed;
                           }),
               std::runtime_error);
}

TEST(WalkerTest, ErrorActionStopEndsTheWalk) {
  TempDir dir;
  fs::create_symlink("self", dir / "self");
  for (int i = 0; i < 50; ++i) write_file(dir / ("d" + std::to_string(i)) / "f", "");
  WalkOptions o = with_threads(1);
  o.follow_symlinks = true;
  int errors = 0;
  o.on_error = [&](const WalkError&) {
    ++errors;
    return ErrorAction::stop;
  };
  WalkStats stats =
      Walker(o).walk(dir.path(), [](const WalkEntry&) { return WalkAction::proceed; });
  EXPECT_TRUE(stats.stopped);
  EXPECT_EQ(errors, 1);
  EXPECT_LT(stats.directories, 51u);
}

}  // namespace
}  // namespace cas
