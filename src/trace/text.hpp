#pragma once
// The bits of HTTP list syntax the W3C headers share (RFC 9110 §5.6).

#include <string_view>
#include <vector>

#include "http/token.hpp"

namespace tether::trace::detail {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

/// The comma-separated members of one field line, each trimmed of OWS
/// (empty members included: the caller decides).
inline std::vector<std::string_view> split_list(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t comma = line.find(',');
    out.push_back(trim_ows(line.substr(0, comma)));
    if (comma == std::string_view::npos) {
      return out;
    }
    line.remove_prefix(comma + 1);
  }
}

using ::tether::http::detail::is_token;  // baggage keys are RFC 9110 tokens

}  // namespace tether::trace::detail
