// Writing HTTP/1.1 messages (see serializer.hpp).

#include "http/serializer.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace tether::http::detail {

namespace {

/// RFC 9110 `tchar`: the characters of a token (methods, header names).
constexpr bool is_tchar(unsigned char c) noexcept {
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

bool is_token(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (!is_tchar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

void append_number(std::string& out, std::uint64_t v, int base = 10) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, base);
  out.append(buf.data(), r.ptr);
}

}  // namespace

bool valid_header_name(std::string_view name) noexcept { return is_token(name); }

bool valid_header_value(std::string_view value) noexcept {
  for (const char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
  }
  return true;
}

bool valid_method(std::string_view method) noexcept { return is_token(method); }

bool valid_target(std::string_view target) noexcept {
  if (target.empty()) {
    return false;
  }
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) {
      return false;
    }
  }
  return true;
}

std::string format_http_date(std::time_t t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 40> buf{};
  const auto year = static_cast<unsigned>(tm.tm_year + 1900) % 10000u;
  const int n = std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04u %02d:%02d:%02d GMT",
                              days[static_cast<std::size_t>(tm.tm_wday) % 7], tm.tm_mday,
                              months[static_cast<std::size_t>(tm.tm_mon) % 12], year, tm.tm_hour,
                              tm.tm_min, tm.tm_sec);
  return std::string(buf.data(), static_cast<std::size_t>(n > 0 ? n : 0));
}

std::string_view http_date_now() {
  thread_local std::time_t cached_at = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    cached = format_http_date(now);
    cached_at = now;
  }
  return cached;
}

void append_status_line(std::string& out, int status, std::string_view reason) {
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::uint64_t>(status));
  out += ' ';
  out += reason.empty() ? status_text(status) : reason;
  out += "\r\n";
}

void append_request_line(std::string& out, std::string_view method, std::string_view target) {
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void append_field(std::string& out, std::string_view name, std::uint64_t value) {
  out += name;
  out += ": ";
  append_number(out, value);
  out += "\r\n";
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) {
    return;
  }
  append_number(out, data.size(), 16);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

std::string serialize_request_head(std::string_view method, std::string_view target,
                                   std::string_view host, const headers& fields,
                                   std::int64_t body_length) {
  std::string out;
  out.reserve(64 + target.size() + host.size() + 32 * fields.size());
  append_request_line(out, method, target);
  if (!fields.contains("host")) {
    append_field(out, "Host", host);
  }
  for (const header& h : fields) {
    if (!iequals(h.name, "content-length") && !iequals(h.name, "transfer-encoding")) {
      append_field(out, h.name, h.value);
    }
  }
  const bool bodiless = method == "GET" || method == "HEAD" || method == "DELETE" ||
                        method == "OPTIONS" || method == "TRACE" || method == "CONNECT";
  if (body_length < 0) {
    append_field(out, "Transfer-Encoding", "chunked");
  } else if (body_length > 0 || !bodiless) {
    append_field(out, "Content-Length", static_cast<std::uint64_t>(body_length));
  }
  out += "\r\n";
  return out;
}

std::string serialize_error_response(int status) {
  std::string out;
  append_status_line(out, status);
  out += "Connection: close\r\nContent-Length: 0\r\n\r\n";
  return out;
}

}  // namespace tether::http::detail
