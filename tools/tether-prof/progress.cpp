#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace tether_prof {

progress_bar::progress_bar(std::string label, const std::string& mode) : label_(std::move(label)) {
  enabled_ = mode == "always" || (mode == "auto" && ::isatty(STDERR_FILENO) != 0);
}

progress_bar::~progress_bar() {
  if (drawn_) {
    std::fputc('\n', stderr);
  }
}

void progress_bar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_ || total == 0) {
    return;
  }
  const int percent = static_cast<int>(done >= total ? 100 : done * 100 / total);
  const auto now = std::chrono::steady_clock::now();
  if (percent == last_percent_ || (percent != 100 && now - last_draw_ < std::chrono::milliseconds(100))) {
    return;
  }
  last_percent_ = percent;
  last_draw_ = now;
  constexpr int width = 30;
  std::string bar(static_cast<std::size_t>(width * percent / 100), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %3d%% (%.1f of %.1f MB)", label_.c_str(), bar.c_str(), percent,
               static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace tether_prof
