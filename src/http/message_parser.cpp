// message_parser: http-parser driven one event at a time (see the header).
//
// The trick: every http-parser callback that completes something (the head,
// a piece of body, the message) pauses the parser (http_parser_pause), so
// http_parser_execute returns right there and reports how far it got. On the
// next parse() the parser is unpaused and continues from that byte. The
// head-complete pause leaves the head's final LF unconsumed (http-parser
// re-reads it in its headers-done state), the others consume what they
// report; parse() does not need to know which.

#include "http/message_parser.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cstring>

namespace tether::http::detail {

static_assert(sizeof(http_parser) <= 32 && alignof(http_parser) <= 8,
              "message_parser::parser_ is too small for this http-parser");

namespace {

http_parser* native(unsigned char* storage) noexcept {
  return std::launder(reinterpret_cast<http_parser*>(storage));
}

bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }

void trim_trailing(std::string& s) noexcept {
  std::size_t n = s.size();
  while (n > 0 && is_ws(s[n - 1])) {
    --n;
  }
  s.resize(n);
}

}  // namespace

/// http-parser's callbacks: record, and pause where an event is complete.
struct parser_callbacks {
  static message_parser& self(http_parser* p) noexcept {
    return *static_cast<message_parser*>(p->data);
  }

  static int on_message_begin(http_parser* p) {
    message_parser& m = self(p);
    m.head_.method.clear();
    m.head_.target.clear();
    m.head_.status = 0;
    m.head_.reason.clear();
    m.head_.fields.clear();
    m.head_.content_length.reset();
    m.head_.keep_alive = m.head_.upgrade = m.head_.expect_continue = m.head_.chunked = false;
    m.body_bytes_ = 0;
    m.last_was_value_ = false;
    m.state_ = message_parser::state::head;
    return 0;
  }

  static int on_url(http_parser* p, const char* at, std::size_t n) {
    self(p).head_.target.append(at, n);
    return 0;
  }

  static int on_status(http_parser* p, const char* at, std::size_t n) {
    self(p).head_.reason.append(at, n);
    return 0;
  }

  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    auto& fields = m.head_.fields.fields();
    // A field callback after a value (or the first one) starts a new field;
    // two in a row are one name split across reads.
    if (m.last_was_value_ || fields.empty()) {
      fields.emplace_back();
      m.last_was_value_ = false;
    }
    fields.back().name.append(at, n);
    return 0;
  }

  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    m.last_was_value_ = true;
    m.head_.fields.fields().back().value.append(at, n);
    return 0;
  }

  static int on_headers_complete(http_parser* p) {
    message_parser& m = self(p);
    m.finish_head();
    http_parser_pause(p, 1);
    m.pending_ = message_parser::pending::head;
    // 1 tells a response parser that no body follows (the answer to HEAD).
    return m.kind_ == message_kind::response && m.no_body_ ? 1 : 0;
  }

  static int on_body(http_parser* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    m.body_bytes_ += n;
    if (m.body_bytes_ > m.limits_.max_body_size) {
      m.callback_error_ = 413;
      return 1;
    }
    m.body_ = std::string_view(at, n);
    m.pending_ = message_parser::pending::body;
    http_parser_pause(p, 1);
    return 0;
  }

  static int on_chunk_header(http_parser* p) {
    message_parser& m = self(p);
    // content_length holds this chunk's size here: refuse before reading it.
    if (p->content_length > m.limits_.max_body_size - m.body_bytes_) {
      m.callback_error_ = 413;
      return 1;
    }
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    message_parser& m = self(p);
    m.pending_ = message_parser::pending::end;
    http_parser_pause(p, 1);
    return 0;
  }

  static constexpr http_parser_settings settings = [] {
    http_parser_settings s{};
    s.on_message_begin = &on_message_begin;
    s.on_url = &on_url;
    s.on_status = &on_status;
    s.on_header_field = &on_header_field;
    s.on_header_value = &on_header_value;
    s.on_headers_complete = &on_headers_complete;
    s.on_body = &on_body;
    s.on_message_complete = &on_message_complete;
    s.on_chunk_header = &on_chunk_header;
    return s;
  }();
};

message_parser::message_parser(message_kind kind, parser_limits limits) noexcept
    : limits_(limits), kind_(kind), head_check_(kind == message_kind::request) {
  http_parser* p = ::new (static_cast<void*>(parser_)) http_parser{};
  http_parser_init(p, kind == message_kind::request ? HTTP_REQUEST : HTTP_RESPONSE);
  p->data = this;
}

void message_parser::finish_head() {
  http_parser* p = native(parser_);
  head_.version_major = p->http_major;
  head_.version_minor = p->http_minor;
  if (kind_ == message_kind::request) {
    head_.method = http_method_str(static_cast<enum http_method>(p->method));
  } else {
    head_.status = static_cast<int>(p->status_code);
  }
  for (header& h : head_.fields.fields()) {
    trim_trailing(h.value);
  }
  head_.keep_alive = http_should_keep_alive(p) != 0;
  head_.upgrade = p->upgrade != 0;
  head_.chunked = (p->flags & F_CHUNKED) != 0;
  if ((p->flags & F_CONTENTLENGTH) != 0) {
    head_.content_length = p->content_length;
  }
  // Whether chunked body bytes follow (and chunked_syntax must see them).
  if (kind_ == message_kind::request) {
    chunked_body_ = head_.chunked && p->method != HTTP_CONNECT;
  } else {
    chunked_body_ = head_.chunked && !no_body_ && head_.status >= 200 && head_.status != 204 &&
                    head_.status != 304;
  }
  if (kind_ == message_kind::request) {
    if (auto e = head_.fields.get("expect")) {
      head_.expect_continue = iequals(*e, "100-continue");
    }
  }
}

bool message_parser::check_syntax(std::string_view data, std::size_t n, bool counting,
                                  std::size_t head_before) noexcept {
  if (counting) {
    // At a head pause http-parser stopped on the head's final LF, which it
    // reads again on resume (and, built non-strict, would take any byte
    // for): check it as part of the head. Bytes past the size limit are
    // left to the 431.
    std::size_t head_end = pending_ == pending::head ? n + 1 : n;
    const std::size_t allowed =
        head_before < limits_.max_header_size ? limits_.max_header_size - head_before : 0;
    head_end = std::min(head_end, allowed);
    if (!head_check_.feed(data.substr(0, head_end))) {
      return false;
    }
    skip_lf_ = pending_ == pending::head;
    return true;
  }
  if (chunked_body_ && state_ == state::body) {
    std::string_view body = data.substr(0, n);
    if (skip_lf_ && !body.empty()) {
      body.remove_prefix(1);
      skip_lf_ = false;
    }
    if (!chunk_check_.feed(body)) {
      return false;
    }
    if (pending_ == pending::end && !chunk_check_.complete()) {
      return false;
    }
  }
  skip_lf_ = skip_lf_ && n == 0;
  return true;
}

parse_step message_parser::fail(int status, std::string_view reason) noexcept {
  if (state_ != state::failed) {
    state_ = state::failed;
    error_status_ = status;
    error_reason_ = reason;
  }
  return parse_step{0, parse_event::error, {}};
}

bool message_parser::check_head() noexcept {
  if (kind_ != message_kind::request) {
    return true;
  }
  if (head_.version_major != 1) {
    fail(505, "unsupported HTTP version");
    return false;
  }
  if (limits_.require_host && head_.version_minor >= 1 && head_.fields.count("host") != 1) {
    fail(400, head_.fields.contains("host") ? "several Host fields" : "missing Host");
    return false;
  }
  if (head_.fields.get("expect") && !head_.expect_continue) {
    fail(417, "unsupported expectation");
    return false;
  }
  if (head_.content_length && *head_.content_length > limits_.max_body_size) {
    fail(413, "body too large");
    return false;
  }
  return true;
}

parse_step message_parser::parse(std::string_view data) {
  if (state_ == state::failed) {
    return parse_step{0, parse_event::error, {}};
  }
  if (data.empty() || state_ == state::upgraded) {
    // http-parser reads an empty buffer as the end of the stream (finish()).
    return parse_step{0, parse_event::need_more, {}};
  }
  http_parser* p = native(parser_);
  if (HTTP_PARSER_ERRNO(p) == HPE_PAUSED) {
    http_parser_pause(p, 0);
  }
  pending_ = pending::none;
  const bool counting = state_ == state::idle || state_ == state::head;

  const std::size_t n = http_parser_execute(p, &parser_callbacks::settings, data.data(), data.size());
  const auto err = HTTP_PARSER_ERRNO(p);

  // The order of the checks makes the verdict independent of how the bytes
  // were split into reads (the fuzz target checks this): syntax first, but
  // only over the head bytes within the size limit; then the body limit,
  // the head size, and http-parser's own errors.
  const std::size_t head_before = head_bytes_;
  if (counting) {
    head_bytes_ += n + (pending_ == pending::head ? 1 : 0);  // the final LF, read on resume
  }
  if (!check_syntax(data, n, counting, head_before)) {
    return fail(400, counting ? head_check_.reason() : chunk_check_.reason());
  }
  if (callback_error_ != 0) {
    return fail(callback_error_, "body too large");
  }
  if (err == HPE_HEADER_OVERFLOW || (counting && head_bytes_ > limits_.max_header_size)) {
    return fail(431, "header too large");
  }
  if (err != HPE_OK && err != HPE_PAUSED) {
    return fail(400, http_errno_name(err));
  }

  switch (pending_) {
    case pending::head:
      if (!check_head()) {
        return parse_step{0, parse_event::error, {}};
      }
      state_ = state::body;
      return parse_step{n, parse_event::head, {}};
    case pending::body:
      return parse_step{n, parse_event::body, body_};
    case pending::end:
      state_ = p->upgrade != 0 ? state::upgraded : state::idle;
      head_bytes_ = 0;
      head_check_.reset();
      chunk_check_.reset();
      return parse_step{n, parse_event::end, {}};
    case pending::none:
      break;
  }
  return parse_step{n, parse_event::need_more, {}};
}

parse_step message_parser::finish() {
  if (state_ == state::failed) {
    return parse_step{0, parse_event::error, {}};
  }
  if (state_ == state::upgraded || state_ == state::idle) {
    return parse_step{0, parse_event::need_more, {}};
  }
  http_parser* p = native(parser_);
  if (HTTP_PARSER_ERRNO(p) == HPE_PAUSED) {
    http_parser_pause(p, 0);
  }
  pending_ = pending::none;
  http_parser_execute(p, &parser_callbacks::settings, nullptr, 0);
  if (pending_ == pending::end) {
    state_ = state::idle;
    return parse_step{0, parse_event::end, {}};
  }
  return fail(400, "connection closed mid-message");
}

}  // namespace tether::http::detail
