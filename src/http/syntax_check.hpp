#pragma once
// Strict RFC 7230 syntax checks run beside http-parser over the same bytes.
//
// Why: Debian builds http-parser with HTTP_PARSER_STRICT=0, and its
// non-strict mode accepts what Node's llhttp rejects and what request
// smuggling lives on: any byte where an LF belongs after a CR (the end of
// the head, "\r\n\rX", and after chunk data), spaces inside header names
// ("Host : x" becomes a field named "Host "), "HTTX/1.1", doubled spaces in
// the request line. http-parser still does the parsing (fields, lengths,
// keep-alive); these checks only say no. They are streaming: bytes arrive
// in any split and the verdict is the same.

#include <cstdint>
#include <string_view>

namespace tether::http::detail {

/// RFC 7230 `tchar`: the characters of a token (methods, header names).
bool is_tchar(unsigned char c) noexcept;

/// The head: the start line (request: `method SP target SP HTTP/d.d`;
/// response: `HTTP/d.d SP` then anything printable), then header lines
/// `token ":" value` where values hold no control characters but HT, lines
/// end in CRLF, a line starting with SP/HT (obs-fold) is refused, and an
/// empty line ends the head. Empty lines before a request line are skipped
/// (RFC 7230 3.5).
class head_syntax {
 public:
  explicit head_syntax(bool request) noexcept : request_(request) {}
  /// Checks the next bytes of the head; false (and reason()) on the first
  /// violation.
  bool feed(std::string_view bytes) noexcept;
  /// True once the empty line ending the head has been checked.
  bool complete() const noexcept { return state_ == st::done; }
  std::string_view reason() const noexcept { return reason_; }
  void reset() noexcept {
    state_ = st::line_start_first;
    index_ = 0;
  }

 private:
  enum class st : std::uint8_t {
    line_start_first,  // before the start line (skipping empty lines)
    skip_lf,           // an empty line's LF before the start line
    method,
    target,
    version,           // matching "HTTP/d.d" by index_
    status_rest,       // a response's status line after the version
    start_cr,          // the start line's CR was seen
    name_start,
    name,
    value,
    value_cr,
    final_lf,
    done,
    failed,
  };
  bool fail(std::string_view why) noexcept {
    state_ = st::failed;
    reason_ = why;
    return false;
  }
  bool step(unsigned char c) noexcept;

  bool request_;
  st state_ = st::line_start_first;
  std::uint8_t index_ = 0;
  std::string_view reason_;
};

/// A chunked body from the first size line to the end of the trailers:
/// `hex [BWS] [; ext] CRLF data CRLF ... 0 CRLF *(trailer CRLF) CRLF`.
class chunked_syntax {
 public:
  bool feed(std::string_view bytes) noexcept;
  bool complete() const noexcept { return state_ == st::done; }
  std::string_view reason() const noexcept { return reason_; }
  void reset() noexcept {
    state_ = st::size_start;
    size_ = 0;
  }

 private:
  enum class st : std::uint8_t {
    size_start, size, size_ws, ext, size_lf,
    data, data_cr, data_lf,
    trailer_start, trailer, trailer_lf, final_lf,
    done, failed,
  };
  bool fail(std::string_view why) noexcept {
    state_ = st::failed;
    reason_ = why;
    return false;
  }

  st state_ = st::size_start;
  std::uint64_t size_ = 0;
  std::string_view reason_;
};

}  // namespace tether::http::detail
