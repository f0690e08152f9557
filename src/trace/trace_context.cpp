// W3C Trace Context: traceparent and tracestate
// (https://www.w3.org/TR/trace-context/, the rules of its test harness).

#include <tether/trace.hpp>

#include <algorithm>

#include "trace/hex.hpp"
#include "trace/text.hpp"

namespace tether::trace {

namespace {

constexpr std::size_t traceparent_size = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

// tracestate key: (lcalpha / DIGIT) 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@")
bool valid_tracestate_key(std::string_view k) noexcept {
  if (k.empty() || k.size() > 256) {
    return false;
  }
  const auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(k.front())) {
    return false;
  }
  return std::all_of(k.begin() + 1, k.end(), [&](char c) {
    return lower_or_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
  });
}

// value: 0*255(chr) nblk-chr; chr = %x20-2B / %x2D-3C / %x3E-7E; nblk-chr = chr without space
bool valid_tracestate_value(std::string_view v) noexcept {
  if (v.empty() || v.size() > 256 || v.back() == ' ') {
    return false;
  }
  return std::all_of(v.begin(), v.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e && c != ',' && c != '=';
  });
}

constexpr std::size_t max_tracestate_members = 32;
constexpr std::size_t tracestate_propagation_limit = 512;
constexpr std::size_t tracestate_long_member = 128;

std::size_t joined_size(const std::vector<std::string_view>& members) noexcept {
  std::size_t n = members.empty() ? 0 : members.size() - 1;
  for (std::string_view m : members) {
    n += m.size();
  }
  return n;
}

}  // namespace

std::optional<span_context> parse_traceparent(std::string_view value) noexcept {
  const std::string_view v = detail::trim_ows(value);
  if (v.size() < traceparent_size) {
    return std::nullopt;
  }
  const std::string_view version = v.substr(0, 2);
  if (!detail::is_lower_hex(version) || version == "ff") {
    return std::nullopt;
  }
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') {
    return std::nullopt;
  }
  if (version == "00" ? v.size() != traceparent_size
                      : (v.size() > traceparent_size && v[traceparent_size] != '-')) {
    return std::nullopt;  // 00 has nothing after the flags; later versions add "-..."
  }
  span_context c;
  const std::string_view flags = v.substr(53, 2);
  if (!detail::from_hex(v.substr(3, 32), c.trace.bytes) ||
      !detail::from_hex(v.substr(36, 16), c.span.bytes) || !detail::is_lower_hex(flags) ||
      !c.trace.valid() || !c.span.valid()) {
    return std::nullopt;
  }
  c.flags = static_cast<std::uint8_t>(detail::hex_value(flags[0]) * 16 + detail::hex_value(flags[1]));
  c.remote = true;
  return c;
}

std::string format_traceparent(const span_context& c) {
  std::string s;
  s.reserve(traceparent_size);
  s += "00-";
  s += c.trace.to_hex();
  s += '-';
  s += c.span.to_hex();
  s += '-';
  detail::append_hex(s, c.flags);
  return s;
}

std::optional<std::string> parse_tracestate(std::span<const std::string_view> lines) {
  std::vector<std::string_view> members;
  std::vector<std::string_view> keys;
  for (std::string_view line : lines) {
    for (std::string_view member : detail::split_list(line)) {
      if (member.empty()) {
        continue;  // empty list members are allowed and skipped
      }
      const std::size_t eq = member.find('=');
      if (eq == std::string_view::npos) {
        return std::nullopt;
      }
      const std::string_view key = member.substr(0, eq);
      if (!valid_tracestate_key(key) || !valid_tracestate_value(member.substr(eq + 1)) ||
          std::find(keys.begin(), keys.end(), key) != keys.end()) {
        return std::nullopt;
      }
      if (members.size() == max_tracestate_members) {
        return std::nullopt;
      }
      keys.push_back(key);
      members.push_back(member);
    }
  }
  // Too long to propagate: drop whole members, the longest kind first.
  if (joined_size(members) > tracestate_propagation_limit) {
    std::erase_if(members, [](std::string_view m) { return m.size() > tracestate_long_member; });
    while (joined_size(members) > tracestate_propagation_limit) {
      members.pop_back();
    }
  }
  std::string out;
  for (std::string_view m : members) {
    if (!out.empty()) {
      out += ',';
    }
    out += m;
  }
  return out;
}

}  // namespace tether::trace
