#include "progress_bar.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <utility>

namespace cas::cli {
namespace {

// Used when the terminal does not say how wide it is.
constexpr std::size_t kDefaultWidth = 80;
// Below this the bar itself is dropped and only the numbers are shown.
constexpr std::size_t kMinBarWidth = 10;
// On a wide terminal a longer bar shows nothing more.
constexpr std::size_t kMaxBarWidth = 40;

std::string with_separators(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string bytes_text(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit ? "%.1f %s" : "%.0f %s", bytes, kUnits[unit]);
  return buf;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<std::uint64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

std::size_t terminal_width(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return kDefaultWidth;
}

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    // A progress bar that cannot be drawn is not worth failing the operation for.
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

ProgressBar::ProgressBar(std::string label, bool enabled, int fd)
    : label_(std::move(label)), enabled_(enabled), fd_(fd) {}

ProgressBar::~ProgressBar() { finish(); }

cas::ProgressCallback ProgressBar::callback() {
  if (!enabled_) return {};
  return [this](const cas::Progress& progress) { draw(progress); };
}

void ProgressBar::finish() {
  std::lock_guard lock(mutex_);
  if (drawn_) write_all(fd_, "\n");
  drawn_ = false;
}

void ProgressBar::draw(const cas::Progress& progress) {
  std::lock_guard lock(mutex_);
  // One column short of the width: writing the last column makes some terminals wrap.
  std::size_t width = terminal_width(fd_);
  std::string line = render(label_, progress, width > 1 ? width - 1 : 1);
  // "\r" returns to the start of the line and "\x1b[K" clears what a longer line left.
  write_all(fd_, "\r" + line + "\x1b[K");
  drawn_ = true;
}

std::string ProgressBar::render(std::string_view label, const cas::Progress& p, std::size_t width) {
  std::string numbers;
  const bool known = p.total.has_value();
  const std::uint64_t total = known ? std::max(*p.total, p.done) : 0;
  if (known) {
    int percent =
        total ? static_cast<int>(100.0 * static_cast<double>(p.done) / static_cast<double>(total))
              : 100;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%3d%%", percent);
    numbers += buf;
    numbers += "  " + with_separators(p.done) + "/" + with_separators(total);
  } else {
    numbers += with_separators(p.done) + " files";
  }
  numbers += "  " + with_separators(static_cast<std::uint64_t>(p.rate + 0.5)) + "/s";
  if (p.bytes > 0 && p.elapsed_seconds > 0) {
    numbers += "  " + bytes_text(static_cast<double>(p.bytes) / p.elapsed_seconds) + "/s";
  }
  if (known && p.done < total && p.rate > 0) {
    numbers += "  ETA " + duration_text(static_cast<double>(total - p.done) / p.rate);
  } else {
    numbers += "  " + duration_text(p.elapsed_seconds);
  }

  std::string line(label);
  // The bar takes whatever width the label and the numbers leave, between its brackets.
  const std::size_t fixed = line.size() + 1 + 2 + 1 + numbers.size();
  if (known && width >= fixed + kMinBarWidth) {
    const std::size_t cells = std::min(width - fixed, kMaxBarWidth);
    const std::size_t filled =
        total ? static_cast<std::size_t>(static_cast<double>(cells) * static_cast<double>(p.done) /
                                         static_cast<double>(total))
              : cells;
    line += " [" + std::string(filled, '#') + std::string(cells - filled, '-') + "] ";
  } else {
    line += "  ";
  }
  line += numbers;
  if (line.size() > width) line.resize(width);
  return line;
}

}  // namespace cas::cli
