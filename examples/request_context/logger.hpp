#pragma once
// A logger that needs no request argument: each line is prefixed with the
// request the current async_local_storage store names. Lines are kept in
// memory (so the demo can check every one of them) and written to a file at
// the end.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace demo {

struct log_line {
  std::string request_id;  // from the store ("-" outside a request)
  std::uint64_t store_order = 0;  // the order the store names
  std::uint64_t about_order = 0;  // the order the caller says the line is about
  std::string text;
};

class logger {
 public:
  /// Logs `text`, a line about order `about_order` (0: none). The prefix
  /// comes from demo::context, never from the caller.
  void info(std::uint64_t about_order, std::string text);

  const std::vector<log_line>& lines() const noexcept { return lines_; }
  /// The whole log as text, one "[req-17 alice order=42] text" per line.
  std::string render() const;

 private:
  std::vector<log_line> lines_;
};

/// The process's logger (the demo is single-threaded: the loop thread logs;
/// thread-pool jobs return values instead of logging).
logger& log();

}  // namespace demo
