// ProgressBar: one self-rewriting line on a terminal showing a bulk operation's progress —
// a bar and percentage when the total is known, the count, the rate and the ETA.
//
// Thread-safety: the callback may be called from any thread; calls are serialized here, so
// the library's own serialization is not relied upon for the terminal's sake.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "cas/operations.hpp"

namespace cas::cli {

class ProgressBar {
 public:
  // Draws on `fd` only when `enabled`; a disabled bar prints nothing at all.
  ProgressBar(std::string label, bool enabled, int fd = 2);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }

  // The callback for OperationOptions::progress; empty when the bar is disabled, so the
  // library does not even compute progress.
  cas::ProgressCallback callback();

  // Ends the bar's line (a newline after the last drawing) so that what follows starts on a
  // line of its own. Idempotent; also done by the destructor.
  void finish();

  // The text of the bar for `progress`, at most `width` columns, without control characters:
  //   "migrate [########------------]  40%  4,000/10,000  2,500/s  ETA 0:02"
  //   "verify  12,345 files  2,500/s  31.5 MiB/s  0:05"  (total unknown)
  static std::string render(std::string_view label, const cas::Progress& progress,
                            std::size_t width);

 private:
  void draw(const cas::Progress& progress);

  std::string label_;
  bool enabled_;
  int fd_;
  bool drawn_ = false;
  std::mutex mutex_;
};

}  // namespace cas::cli
