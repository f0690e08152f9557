// Strict syntax checks beside http-parser (see syntax_check.hpp).

#include "http/syntax_check.hpp"

#include <algorithm>

namespace tether::http::detail {

bool is_tchar(unsigned char c) noexcept {
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

namespace {

bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

/// A field value or chunk extension byte: visible ASCII, SP, HT or obs-text.
bool is_field_char(unsigned char c) noexcept { return c == '\t' || (c >= ' ' && c != 0x7f); }

int hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

constexpr std::string_view http_version_prefix = "HTTP/";

}  // namespace

bool head_syntax::feed(std::string_view bytes) noexcept {
  if (state_ == st::failed) {
    return false;
  }
  for (const char ch : bytes) {
    if (!step(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return true;
}

bool head_syntax::step(unsigned char c) noexcept {
  switch (state_) {
    case st::line_start_first:
      if (!request_) {
        state_ = st::version;
        index_ = 0;
        return step(c);
      }
      if (c == '\r') {
        state_ = st::skip_lf;
        return true;
      }
      if (c == '\n') {
        return fail("bare LF");
      }
      if (!is_tchar(c)) {
        return fail("invalid method");
      }
      state_ = st::method;
      return true;
    case st::skip_lf:
      if (c != '\n') {
        return fail("CR without LF");
      }
      state_ = st::line_start_first;
      return true;
    case st::method:
      if (c == ' ') {
        state_ = st::target;
        index_ = 0;
        return true;
      }
      return is_tchar(c) || fail("invalid method");
    case st::target:
      if (c == ' ' && index_ != 0) {
        state_ = st::version;
        index_ = 0;
        return true;
      }
      if (c <= ' ' || c == 0x7f) {
        return fail("invalid request target");
      }
      index_ = 1;
      return true;
    case st::version: {
      bool ok = false;
      if (index_ < http_version_prefix.size()) {
        ok = c == static_cast<unsigned char>(http_version_prefix[index_]);
      } else if (index_ == 5 || index_ == 7) {
        ok = is_digit(c);
      } else if (index_ == 6) {
        ok = c == '.';
      } else if (request_) {
        if (c == '\r') {
          state_ = st::start_cr;
          return true;
        }
      } else if (c == ' ') {
        state_ = st::status_rest;
        return true;
      }
      if (!ok) {
        return fail("invalid HTTP version");
      }
      ++index_;
      return true;
    }
    case st::status_rest:
      if (c == '\r') {
        state_ = st::start_cr;
        return true;
      }
      return is_field_char(c) || fail("invalid status line");
    case st::start_cr:
      if (c != '\n') {
        return fail("CR without LF");
      }
      state_ = st::name_start;
      return true;
    case st::name_start:
      if (c == '\r') {
        state_ = st::final_lf;
        return true;
      }
      if (c == ' ' || c == '\t') {
        return fail("obs-fold");
      }
      if (!is_tchar(c)) {
        return fail(c == '\n' ? "bare LF" : "invalid header name");
      }
      state_ = st::name;
      return true;
    case st::name:
      if (c == ':') {
        state_ = st::value;
        return true;
      }
      return is_tchar(c) || fail("invalid header name");
    case st::value:
      if (c == '\r') {
        state_ = st::value_cr;
        return true;
      }
      return is_field_char(c) || fail(c == '\n' ? "bare LF" : "invalid header value");
    case st::value_cr:
      if (c != '\n') {
        return fail("CR without LF");
      }
      state_ = st::name_start;
      return true;
    case st::final_lf:
      if (c != '\n') {
        return fail("CR without LF");
      }
      state_ = st::done;
      return true;
    case st::done:
      return true;
    case st::failed:
      return false;
  }
  return false;
}

bool chunked_syntax::feed(std::string_view bytes) noexcept {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    switch (state_) {
      case st::size_start:
      case st::size: {
        const int h = hex_value(c);
        if (h >= 0) {
          if (size_ > (UINT64_MAX >> 4)) {
            return fail("chunk size overflows");
          }
          size_ = (size_ << 4) | static_cast<std::uint64_t>(h);
          state_ = st::size;
        } else if (state_ == st::size_start) {
          return fail("invalid chunk size");
        } else if (c == ' ' || c == '\t') {
          state_ = st::size_ws;
        } else if (c == ';') {
          state_ = st::ext;
        } else if (c == '\r') {
          state_ = st::size_lf;
        } else {
          return fail("invalid chunk size");
        }
        break;
      }
      case st::size_ws:
        if (c == ';') {
          state_ = st::ext;
        } else if (c == '\r') {
          state_ = st::size_lf;
        } else if (c != ' ' && c != '\t') {
          return fail("invalid chunk size");
        }
        break;
      case st::ext:
        if (c == '\r') {
          state_ = st::size_lf;
        } else if (!is_field_char(c)) {
          return fail("invalid chunk extension");
        }
        break;
      case st::size_lf:
        if (c != '\n') {
          return fail("CR without LF");
        }
        state_ = size_ == 0 ? st::trailer_start : st::data;
        break;
      case st::data: {
        const auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>(size_, bytes.size() - i));
        size_ -= n;
        i += n;
        if (size_ == 0) {
          state_ = st::data_cr;
        }
        continue;
      }
      case st::data_cr:
        if (c != '\r') {
          return fail("chunk data not followed by CRLF");
        }
        state_ = st::data_lf;
        break;
      case st::data_lf:
        if (c != '\n') {
          return fail("chunk data not followed by CRLF");
        }
        state_ = st::size_start;
        break;
      case st::trailer_start:
        if (c == '\r') {
          state_ = st::final_lf;
        } else if (!is_tchar(c)) {
          return fail("invalid trailer");
        } else {
          state_ = st::trailer;
        }
        break;
      case st::trailer:
        if (c == '\r') {
          state_ = st::trailer_lf;
        } else if (!is_field_char(c)) {
          return fail("invalid trailer");
        }
        break;
      case st::trailer_lf:
      case st::final_lf:
        if (c != '\n') {
          return fail("CR without LF");
        }
        state_ = state_ == st::final_lf ? st::done : st::trailer_start;
        break;
      case st::done:
        return true;
      case st::failed:
        return false;
    }
    ++i;
  }
  return true;
}

}  // namespace tether::http::detail
