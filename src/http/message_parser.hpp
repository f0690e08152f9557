#pragma once
// A pull parser for HTTP/1.1 messages over Debian's http-parser (Node's
// original parser), sans I/O: bytes in, one event out per call.
//
//   message_parser p(message_kind::request, limits);
//   while (!data.empty()) {
//     parse_step s = p.parse(data);
//     data.remove_prefix(s.consumed);
//     switch (s.event) { head: p.head()...; body: s.body...; end; error: p.error_status() }
//   }
//
// Why a pull parser: http-parser calls back from inside http_parser_execute.
// Every callback here only records and pauses the parser, so parse() returns
// before anything else runs: no user code ever executes inside the parser,
// and whatever the caller does with an event (run a handler that closes the
// connection, say) cannot pull the buffer or the parser from under it.
//
// What it enforces beyond http-parser (Node's defaults, Node's statuses):
//  - the head (request or status line plus header block, and any empty
//    lines before it) over limits.max_header_size bytes -> 431;
//  - strict syntax (syntax_check.hpp; Debian's http-parser is built
//    non-strict): CRLF line ends, token header names, no obsolete line
//    folding (RFC 7230 3.2.4: a server must reject or replace it;
//    http-parser silently joins the lines), exact chunk framing -> 400;
//  - a request body over limits.max_body_size -> 413, at the head when
//    Content-Length says so, at the chunk header when a chunk would pass it;
//  - requests: HTTP major version other than 1 -> 505; HTTP/1.1 without
//    exactly one Host field -> 400 (Node 20's requireHostHeader).
// http-parser itself rejects (-> 400): a malformed request line or header
// syntax, Content-Length together with Transfer-Encoding, duplicate or
// non-numeric Content-Length, a Transfer-Encoding whose final coding is not
// chunked, bad chunk sizes, control characters in header values.
//
// Not thread-safe; one parser per connection. Not copyable or movable
// (http-parser keeps a pointer back to it).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tether/http_headers.hpp>

#include "http/syntax_check.hpp"

namespace tether::http::detail {

enum class message_kind : std::uint8_t { request, response };

/// A parsed request or response head (the fields that do not apply to the
/// kind stay empty).
struct message_head {
  std::string method;  // requests: "GET"
  std::string target;  // requests: "/path?query" as sent
  int status = 0;      // responses: 200
  std::string reason;  // responses: "OK"
  unsigned version_major = 1;
  unsigned version_minor = 1;
  headers fields;
  bool keep_alive = false;       // http_should_keep_alive(): the connection may carry another message
  bool upgrade = false;          // Upgrade + Connection: upgrade, or CONNECT: HTTP ends after it
  bool expect_continue = false;  // requests: Expect: 100-continue
  bool chunked = false;          // Transfer-Encoding: chunked
  std::optional<std::uint64_t> content_length;
};

struct parser_limits {
  std::size_t max_header_size = 16 * 1024;  // Node's --max-http-header-size
  std::uint64_t max_body_size = UINT64_MAX;
  bool require_host = true;  // requests: HTTP/1.1 needs exactly one Host
};

enum class parse_event : std::uint8_t {
  need_more,  // every byte consumed, nothing complete yet
  head,       // head() is complete
  body,       // parse_step::body is the next piece of the body
  end,        // the message is complete (the next byte starts the next one)
  error,      // error_status() and error_reason() say why; sticky
};

struct parse_step {
  std::size_t consumed = 0;
  parse_event event = parse_event::need_more;
  std::string_view body;  // for `body`: a view into the data given to parse()
};

class message_parser {
 public:
  explicit message_parser(message_kind kind, parser_limits limits = {}) noexcept;
  message_parser(const message_parser&) = delete;
  message_parser& operator=(const message_parser&) = delete;

  /// Parses `data` up to and including the next event. After `error` every
  /// call returns `error` again, consuming nothing. After the `end` of a
  /// message that upgraded (upgraded()), it consumes nothing more.
  parse_step parse(std::string_view data);

  /// Responses: the peer closed the connection. Ends a body delimited by the
  /// close (event `end`); `error` if a message was cut short; else need_more.
  parse_step finish();

  /// Responses: the next response answers a HEAD request (no body follows
  /// its head, whatever Content-Length says). Call before its head arrives.
  void expect_no_body(bool v) noexcept { no_body_ = v; }

  /// The head of the current message: complete from its `head` event until
  /// the next message begins.
  message_head& head() noexcept { return head_; }

  int error_status() const noexcept { return error_status_; }
  /// http-parser's error name ("HPE_INVALID_METHOD") or what tether checked
  /// ("obs-fold", "header too large", "body too large", "missing Host"...).
  std::string_view error_reason() const noexcept { return error_reason_; }

  /// A message has begun and its head is not complete.
  bool in_head() const noexcept { return state_ == state::head; }
  /// A message has begun and has not ended.
  bool in_message() const noexcept { return state_ == state::head || state_ == state::body; }
  bool upgraded() const noexcept { return state_ == state::upgraded; }
  bool failed() const noexcept { return state_ == state::failed; }
  /// Body bytes of the current message so far.
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  friend struct parser_callbacks;
  enum class state : std::uint8_t { idle, head, body, upgraded, failed };
  enum class pending : std::uint8_t { none, head, body, end };

  parse_step fail(int status, std::string_view reason) noexcept;
  bool check_head() noexcept;
  bool check_syntax(std::string_view data, std::size_t n, bool counting,
                    std::size_t head_before) noexcept;
  void finish_head();

  // http-parser's struct, kept opaque so that this header needs no
  // <http_parser.h> (message_parser.cpp checks size and alignment).
  alignas(8) unsigned char parser_[32];
  parser_limits limits_;
  message_head head_;
  std::string_view body_;  // set by the body callback
  std::size_t head_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string_view error_reason_;
  int error_status_ = 0;
  int callback_error_ = 0;  // a status a callback decided (413)
  message_kind kind_;
  state state_ = state::idle;
  pending pending_ = pending::none;
  head_syntax head_check_;
  chunked_syntax chunk_check_;
  bool last_was_value_ = false;  // the last header callback was a value
  bool chunked_body_ = false;
  bool skip_lf_ = false;         // the head's final LF comes again (see parse())
  bool no_body_ = false;
};

}  // namespace tether::http::detail
