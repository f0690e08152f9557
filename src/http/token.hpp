#pragma once
// RFC 9110 tokens (§5.6.2): methods and field names, and the keys of W3C
// Baggage, which reuses the grammar (src/trace/baggage.cpp). Header-only, so
// the trace headers' fuzz target needs no HTTP library.

#include <string_view>

namespace tether::http::detail {

/// RFC 9110 `tchar`.
constexpr bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// One or more tchars.
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (!is_tchar(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace tether::http::detail
