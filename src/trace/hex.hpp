#pragma once
// Lowercase hex, the only form W3C Trace Context accepts.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::trace::detail {

/// 0-15 for a lowercase hex digit, -1 otherwise (uppercase included).
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

constexpr bool is_lower_hex(std::string_view s) noexcept {
  for (char c : s) {
    if (hex_value(c) < 0) {
      return false;
    }
  }
  return true;
}

/// Exactly 2N lowercase hex digits into `out`.
template <std::size_t N>
bool from_hex(std::string_view hex, std::array<std::uint8_t, N>& out) noexcept {
  if (hex.size() != 2 * N) {
    return false;
  }
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

inline void append_hex(std::string& out, std::uint8_t b) {
  constexpr std::string_view digits = "0123456789abcdef";
  out += digits[b >> 4];
  out += digits[b & 0xf];
}

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  std::string s;
  s.reserve(2 * N);
  for (std::uint8_t b : bytes) {
    append_hex(s, b);
  }
  return s;
}

}  // namespace tether::trace::detail
