#pragma once
// A one-line progress bar on stderr for long conversions: shown when stderr
// is a terminal (or when forced), drawn at most every 100 ms, finished with
// a newline.

#include <chrono>
#include <cstdint>
#include <string>

namespace tether_prof {

class progress_bar {
 public:
  /// `mode`: "auto" (a terminal only), "always" or "never".
  progress_bar(std::string label, const std::string& mode);
  ~progress_bar();
  void update(std::uint64_t done, std::uint64_t total);

 private:
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace tether_prof
