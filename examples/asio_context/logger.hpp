#pragma once
// A logger that takes no request argument: each line is prefixed with the
// request shop::request_context names. Thread-safe (two threads run the
// server). It keeps the first `kept_lines` lines to show and counts the
// rest, so memory stays bounded however long the server runs.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace shop {

class logger {
 public:
  static constexpr std::size_t kept_lines = 24;

  /// Logs `text`. `about` is the client the caller's own data says the line
  /// is about (the request it parsed): the demo compares it with the
  /// context's to count mix-ups; a real logger would not need it.
  void info(std::string_view about, std::string_view text);

  std::uint64_t lines() const;
  std::uint64_t mixups() const;
  std::uint64_t without_context() const;
  std::vector<std::string> first_lines() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> first_;
  std::uint64_t lines_ = 0;
  std::uint64_t mixups_ = 0;
  std::uint64_t without_context_ = 0;
};

logger& log();

}  // namespace shop
