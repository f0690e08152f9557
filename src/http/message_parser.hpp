#pragma once
// A pull parser for HTTP/1.1 messages over llhttp (Node's parser, built from
// Debian's node-llhttp sources in strict mode), sans I/O: bytes in, one
// event out per call.
//
//   message_parser p(message_kind::request, limits);
//   while (!data.empty()) {
//     parse_step s = p.parse(data);
//     data.remove_prefix(s.consumed);
//     switch (s.event) { head: p.head()...; body: s.body...; end; error: p.error_status() }
//   }
//
// Why a pull parser: llhttp calls back from inside llhttp_execute. Every
// callback here only records, and the ones that complete something (the
// head, a piece of body, the message) pause llhttp, so parse() returns
// before anything else runs: no user code ever executes inside the parser,
// and whatever the caller does with an event (run a handler that closes the
// connection, say) cannot pull the buffer or the parser from under it.
//
// llhttp rejects (-> 400, error_reason() its HPE_* name, as Node reports
// it): malformed request or status lines, header names that are not tokens,
// control characters in values, bare LF or CR, Content-Length together with
// Transfer-Encoding, duplicate or non-numeric Content-Length, a
// Transfer-Encoding whose final coding is not chunked (also across two
// field lines), bad chunk sizes (also `5 ` and `5 ;ext`: Node's strictness),
// bad chunk extensions, CR LF missing after chunk data.
//
// What it adds (Node 20's limits and statuses unless noted):
//  - the head (request or status line plus header block, and any empty
//    lines before it) over limits.max_header_size bytes -> 431
//    HPE_HEADER_OVERFLOW; the trailer section of a chunked body likewise;
//  - chunk extensions (names and values, as Node counts them) over
//    limits.max_chunk_extensions_size bytes per message -> 413
//    HPE_CHUNK_EXTENSIONS_OVERFLOW (Node counts per chunk);
//  - what llhttp 8's strict mode still lets through and Node's llhttp 9 or
//    RFC 9112 do not -> 400: obsolete line folding, an empty header name, a
//    bare LF ending the head or the trailers, a bare LF or CR before a
//    request, HTTP/0.9 request lines, more than one space between the parts
//    of a request line, a Content-Length or Transfer-Encoding trailer field;
//  - a request body over limits.max_body_size -> 413, at the head when
//    Content-Length says so, at the chunk size line when a chunk would pass it;
//  - requests: HTTP major version other than 1 -> 505; HTTP/1.1 without
//    exactly one Host field -> 400 (Node 20's requireHostHeader); an Expect
//    other than 100-continue -> 417.
// Every verdict is the same however the bytes are split into parse() calls
// (tests/fuzz checks this).
//
// Not thread-safe; one parser per connection. Not copyable or movable
// (llhttp keeps a pointer back to it).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tether/http_headers.hpp>

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
  bool keep_alive = false;       // llhttp_should_keep_alive(): the connection may carry another message
  bool upgrade = false;          // Upgrade + Connection: upgrade, or CONNECT: HTTP ends after it
  bool expect_continue = false;  // requests: Expect: 100-continue
  bool chunked = false;          // Transfer-Encoding: chunked
  std::optional<std::uint64_t> content_length;
};

struct parser_limits {
  std::size_t max_header_size = 16 * 1024;  // Node's --max-http-header-size; trailers too
  std::uint64_t max_body_size = UINT64_MAX;
  bool require_host = true;  // requests: HTTP/1.1 needs exactly one Host
  std::size_t max_chunk_extensions_size = 16 * 1024;  // per message (Node: per chunk)
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
  /// A `head` or `body` event that used all of `data` reports its last byte
  /// unconsumed (held_back()), so that the caller comes back with it and
  /// the message's end, which needs no further byte, is reported then.
  parse_step parse(std::string_view data);

  /// The peer closed its side. Responses: ends a body delimited by the
  /// close (event `end`). Both: `error` (400, HPE_INVALID_EOF_STATE) if a
  /// message was cut short; else need_more.
  parse_step finish();

  /// Responses: the next response answers a HEAD request (no body follows
  /// its head, whatever Content-Length says). Call before its head arrives.
  void expect_no_body(bool v) noexcept { no_body_ = v; }

  /// The head of the current message: complete from its `head` event until
  /// the next message begins.
  message_head& head() noexcept { return head_; }

  int error_status() const noexcept { return error_status_; }
  /// Node's name for the error ("HPE_INVALID_METHOD", "HPE_HEADER_OVERFLOW")
  /// or what tether checked beyond the parser ("missing Host", "body too
  /// large", "unsupported HTTP version", "unsupported expectation").
  std::string_view error_reason() const noexcept { return error_reason_; }
  /// A sentence saying what was wrong ("Invalid header value char").
  std::string_view error_detail() const noexcept { return error_detail_; }

  /// A message has begun and its head is not complete.
  bool in_head() const noexcept { return state_ == state::head; }
  /// A message has begun and has not ended.
  bool in_message() const noexcept {
    return state_ == state::head || state_ == state::body || state_ == state::trailers;
  }
  bool upgraded() const noexcept { return state_ == state::upgraded; }
  bool failed() const noexcept { return state_ == state::failed; }
  /// Body bytes of the current message so far.
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }
  /// Bytes the last event reported unconsumed although they are read (0 or
  /// 1; see parse()): a caller that stops parsing after a head (an upgrade)
  /// skips them.
  std::size_t held_back() const noexcept { return held_ ? 1 : 0; }

 private:
  friend struct parser_callbacks;
  enum class state : std::uint8_t { idle, head, body, trailers, upgraded, failed };
  // Why llhttp paused: an event to return, or a step parse() takes itself.
  enum class pending : std::uint8_t { none, head, body, end, trailers, ext_fix };

  parse_step fail(int status, std::string_view reason, std::string_view detail) noexcept;
  /// Runs llhttp over `data`; returns the bytes it consumed and its errno.
  std::size_t execute(std::string_view data, int& err) noexcept;
  /// Skips the empty lines before a message; false on a bare CR or LF.
  bool skip_empty_lines(std::string_view& data, std::size_t& consumed) noexcept;
  /// A bare LF, obsolete line folding or an empty field name (a line
  /// starting with SP, HT or ':') in these head or trailer bytes.
  bool bad_line_break(std::string_view bytes) noexcept;
  /// The head or trailer section: at most the bytes left under the limit.
  parse_step parse_section(std::string_view data);
  parse_step parse_body(std::string_view data);
  parse_step llhttp_error(int err);
  parse_step complete_head(std::size_t consumed);
  struct head_facts {
    std::size_t hosts = 0;  // Host fields
    bool expect = false;    // an Expect field
  };
  /// Fills head_ from llhttp's state.
  head_facts finish_head();  // allocates: the method name
  void begin_message() noexcept;

  // llhttp's parser struct, kept opaque so that this header needs no
  // <llhttp.h> (message_parser.cpp checks size and alignment).
  alignas(8) unsigned char parser_[96];
  parser_limits limits_;
  message_head head_;
  std::string trailer_name_;  // the trailer field name being read
  std::string_view body_;     // set by the body callback
  const char* data_begin_ = nullptr;  // the buffer llhttp is executing
  const char* data_end_ = nullptr;
  std::uint64_t stream_pos_ = 0;      // bytes given to llhttp before data_begin_ (head checks)
  std::uint64_t message_start_ = 0;   // stream position of the request line
  std::uint64_t url_end_ = 0;         // stream position just past the target
  std::size_t head_bytes_ = 0;        // head (or trailer) bytes of this message so far
  std::size_t ext_bytes_ = 0;         // chunk extension bytes of this message so far
  std::uint64_t body_bytes_ = 0;
  std::string_view error_reason_;
  std::string_view error_detail_;
  std::string_view callback_reason_;  // an error a callback decided
  std::string_view callback_detail_;
  int error_status_ = 0;
  int callback_status_ = 0;
  message_kind kind_;
  state state_ = state::idle;
  pending pending_ = pending::none;
  bool pending_cr_ = false;     // idle: a CR before a message waits for its LF
  bool after_lf_ = false;       // head/trailers: the last byte checked was an LF
  bool after_cr_ = false;       // ... a CR
  bool url_started_ = false;
  bool version_seen_ = false;   // requests: the request line had "HTTP/x.y"
  bool ext_value_open_ = false; // a chunk extension value is being read
  bool ext_value_quoted_ = false;
  bool last_was_value_ = false; // the last header callback was a value
  bool no_body_ = false;
  bool held_ = false;           // the last event's last byte was reported unconsumed
};

}  // namespace tether::http::detail
