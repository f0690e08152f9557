// message_parser: llhttp driven one event at a time (see the header).
//
// The trick: every llhttp callback that completes something (the head, a
// piece of body, the message) returns HPE_PAUSED, so llhttp_execute returns
// right there and llhttp_get_error_pos() says how far it got. On the next
// parse() the parser is resumed and continues from that byte.
//
// The head and the trailer section are given to llhttp at most up to the
// bytes left under max_header_size, so a head that does not end within the
// limit is a 431 wherever the bytes were split, and a syntax error inside
// the limit is a 400 wherever they were split.

#include "http/message_parser.hpp"

#include <llhttp.h>

#include <cstring>
#include <new>

namespace tether::http::detail {

namespace {

llhttp_t* native(unsigned char* storage) noexcept {
  return std::launder(reinterpret_cast<llhttp_t*>(storage));
}

bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }

void trim_trailing(std::string& s) noexcept {
  std::size_t n = s.size();
  while (n > 0 && is_ws(s[n - 1])) {
    --n;
  }
  s.resize(n);
}

/// Debian 12's llhttp 8.1.0 reads the byte after `;` that ends an unquoted
/// chunk extension value as part of a chunk size, so it rejects the valid
/// `5;a=b;c` (Node's llhttp 9 accepts it). Found by trying, once, so that
/// a fixed llhttp needs no workaround.
bool llhttp_misreads_extension_after_value() {
  static const bool misreads = [] {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    llhttp_t p;
    llhttp_init(&p, HTTP_REQUEST, &settings);
    constexpr std::string_view probe =
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b;c\r\n";
    return llhttp_execute(&p, probe.data(), probe.size()) == HPE_INVALID_CHUNK_SIZE;
  }();
  return misreads;
}

constexpr std::string_view header_overflow = "HPE_HEADER_OVERFLOW";
constexpr std::string_view invalid_header_token = "HPE_INVALID_HEADER_TOKEN";

}  // namespace

/// llhttp's callbacks: record, and pause where an event is complete.
struct parser_callbacks {
  static message_parser& self(llhttp_t* p) noexcept {
    return *static_cast<message_parser*>(p->data);
  }

  /// An error decided here; parse() reports it (llhttp stops with HPE_USER
  /// or its callback error).
  static int reject(llhttp_t* p, int status, std::string_view reason,
                    std::string_view detail) noexcept {
    message_parser& m = self(p);
    m.callback_status_ = status;
    m.callback_reason_ = reason;
    m.callback_detail_ = detail;
    return -1;
  }

  /// The position of `at` in the bytes given to llhttp so far.
  static std::uint64_t position(const message_parser& m, const char* at) noexcept {
    return m.stream_pos_ + static_cast<std::uint64_t>(at - m.data_begin_);
  }

  static int on_url(llhttp_t* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    if (!m.url_started_) {
      // llhttp skips any number of spaces after the method; RFC 9112 has one.
      m.url_started_ = true;
      const std::size_t method_length =
          std::strlen(llhttp_method_name(static_cast<llhttp_method_t>(p->method)));
      if (position(m, at) != m.message_start_ + method_length + 1) {
        return reject(p, 400, "HPE_INVALID_URL", "More than one space after the method");
      }
    }
    m.head_.target.append(at, n);
    m.url_end_ = position(m, at) + n;
    return 0;
  }

  static int on_version(llhttp_t* p, const char* at, std::size_t) {
    message_parser& m = self(p);
    if (m.kind_ == message_kind::request && !m.version_seen_) {
      m.version_seen_ = true;
      if (position(m, at) != m.url_end_ + std::string_view(" HTTP/").size()) {
        return reject(p, 400, "HPE_INVALID_CONSTANT", "More than one space before the version");
      }
    }
    return 0;
  }

  static int on_status(llhttp_t* p, const char* at, std::size_t n) {
    self(p).head_.reason.append(at, n);
    return 0;
  }

  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    if (m.state_ == message_parser::state::trailers) {
      m.trailer_name_.append(at, n);  // bounded: the section is
      return 0;
    }
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

  static int on_header_field_complete(llhttp_t* p) {
    message_parser& m = self(p);
    if (m.state_ != message_parser::state::trailers) {
      return 0;
    }
    // Framing fields in trailers (RFC 9110 6.5.1), rejected as Node does.
    const bool length = iequals(m.trailer_name_, "content-length");
    const bool coding = iequals(m.trailer_name_, "transfer-encoding");
    m.trailer_name_.clear();
    if (length) {
      return reject(p, 400, "HPE_UNEXPECTED_CONTENT_LENGTH", "Content-Length in the trailers");
    }
    if (coding) {
      return reject(p, 400, "HPE_INVALID_TRANSFER_ENCODING", "Transfer-Encoding in the trailers");
    }
    return 0;
  }

  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    if (m.state_ == message_parser::state::trailers) {
      return 0;  // trailers are checked, not kept
    }
    auto& fields = m.head_.fields.fields();
    if (fields.empty()) {
      fields.emplace_back();
    }
    m.last_was_value_ = true;
    fields.back().value.append(at, n);
    return 0;
  }

  static int on_headers_complete(llhttp_t* p) {
    message_parser& m = self(p);
    if (m.kind_ == message_kind::response && m.no_body_) {
      p->flags |= F_SKIPBODY;  // what returning 1 does; we return HPE_PAUSED instead
    }
    m.pending_ = message_parser::pending::head;
    return HPE_PAUSED;
  }

  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    if (n == 0) {
      return 0;
    }
    m.body_bytes_ += n;
    if (m.body_bytes_ > m.limits_.max_body_size) {
      return reject(p, 413, "body too large", "Body over max_body_size");
    }
    m.body_ = std::string_view(at, n);
    m.pending_ = message_parser::pending::body;
    return HPE_PAUSED;
  }

  static int on_chunk_header(llhttp_t* p) {
    message_parser& m = self(p);
    m.ext_value_open_ = false;
    // content_length holds this chunk's size here: refuse before reading it.
    if (p->content_length > m.limits_.max_body_size - m.body_bytes_) {
      return reject(p, 413, "body too large", "Chunk over max_body_size");
    }
    if (p->content_length == 0) {
      m.pending_ = message_parser::pending::trailers;  // the trailer section follows
      return HPE_PAUSED;
    }
    return 0;
  }

  static int count_extension(llhttp_t* p, std::size_t n) {
    message_parser& m = self(p);
    m.ext_bytes_ += n;
    if (m.ext_bytes_ > m.limits_.max_chunk_extensions_size) {
      return reject(p, 413, "HPE_CHUNK_EXTENSIONS_OVERFLOW", "Chunk extensions overflow");
    }
    return 0;
  }

  static int on_chunk_extension_name(llhttp_t* p, const char*, std::size_t n) {
    self(p).ext_value_open_ = false;
    return count_extension(p, n);
  }

  static int on_chunk_extension_value(llhttp_t* p, const char* at, std::size_t n) {
    message_parser& m = self(p);
    if (count_extension(p, n) != 0) {
      return -1;
    }
    if (!m.ext_value_open_) {
      m.ext_value_open_ = true;
      m.ext_value_quoted_ = n > 0 && at[0] == '"';
    }
    // The span ends on the byte after it (in this buffer, unless this is
    // the flush at its end): `;` after an unquoted value trips llhttp 8.1.0.
    if (!m.ext_value_quoted_ && at + n < m.data_end_ && at[n] == ';' &&
        llhttp_misreads_extension_after_value()) {
      m.pending_ = message_parser::pending::ext_fix;
      return HPE_PAUSED;
    }
    return 0;
  }

  static int on_message_complete(llhttp_t* p) {
    self(p).pending_ = message_parser::pending::end;
    return HPE_PAUSED;
  }

  static constexpr llhttp_settings_t settings = [] {
    llhttp_settings_t s{};
    s.on_url = &on_url;
    s.on_status = &on_status;
    s.on_version = &on_version;
    s.on_header_field = &on_header_field;
    s.on_header_field_complete = &on_header_field_complete;
    s.on_header_value = &on_header_value;
    s.on_headers_complete = &on_headers_complete;
    s.on_body = &on_body;
    s.on_message_complete = &on_message_complete;
    s.on_chunk_header = &on_chunk_header;
    s.on_chunk_extension_name = &on_chunk_extension_name;
    s.on_chunk_extension_value = &on_chunk_extension_value;
    return s;
  }();
};

message_parser::message_parser(message_kind kind, parser_limits limits) noexcept
    : limits_(limits), kind_(kind) {
  static_assert(sizeof(llhttp_t) <= sizeof(parser_) && alignof(llhttp_t) <= 8,
                "message_parser::parser_ is too small for this llhttp");
  llhttp_t* p = ::new (static_cast<void*>(parser_)) llhttp_t{};
  llhttp_init(p, kind == message_kind::request ? HTTP_REQUEST : HTTP_RESPONSE,
              &parser_callbacks::settings);
  p->data = this;
}

// --- steps --------------------------------------------------------------------

std::size_t message_parser::execute(std::string_view data, int& err) noexcept {
  llhttp_t* p = native(parser_);
  if (llhttp_get_errno(p) == HPE_PAUSED) {
    llhttp_resume(p);
  }
  pending_ = pending::none;
  if (data.data() == nullptr) {
    static constexpr char nothing = 0;
    data = std::string_view(&nothing, 0);  // llhttp does pointer arithmetic on it
  }
  data_begin_ = data.data();
  data_end_ = data.data() + data.size();
  err = llhttp_execute(p, data.data(), data.size());
  const std::size_t n =
      err == HPE_OK ? data.size() : static_cast<std::size_t>(llhttp_get_error_pos(p) - data.data());
  stream_pos_ += n;
  return n;
}

void message_parser::begin_message() noexcept {
  head_.method.clear();
  head_.target.clear();
  head_.status = 0;
  head_.reason.clear();
  head_.fields.clear();
  head_.content_length.reset();
  head_.keep_alive = head_.upgrade = head_.expect_continue = head_.chunked = false;
  body_bytes_ = 0;
  ext_bytes_ = 0;
  message_start_ = stream_pos_;
  url_started_ = version_seen_ = last_was_value_ = after_lf_ = after_cr_ = ext_value_open_ = false;
  state_ = state::head;
}

bool message_parser::skip_empty_lines(std::string_view& data, std::size_t& consumed) noexcept {
  // RFC 9112 2.2: a server should ignore empty lines (CRLF) before a
  // request line. llhttp would skip bare CRs and LFs too; they count
  // towards the head's size.
  std::size_t i = 0;
  for (; i < data.size(); ++i) {
    const char c = data[i];
    if (pending_cr_) {
      if (c != '\n') {
        fail(400, "HPE_LF_EXPECTED", "CR without LF before the start line");
        return false;
      }
      pending_cr_ = false;
    } else if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      fail(400, "HPE_CR_EXPECTED", "Bare LF before the start line");
      return false;
    } else {
      break;
    }
    if (++head_bytes_ > limits_.max_header_size) {
      fail(431, header_overflow, "Empty lines over max_header_size");
      return false;
    }
  }
  consumed += i;
  data.remove_prefix(i);
  return true;
}

bool message_parser::bad_line_break(std::string_view bytes) noexcept {
  // Within a head or a trailer section every LF follows a CR, and a line
  // starts with a field name: SP or HT there is obsolete line folding
  // (RFC 9112 5.2: reject it), ':' an empty name. llhttp 8 accepts all
  // three (the first only in the empty line that ends the section).
  const auto bad_start = [](char c) noexcept { return c == ' ' || c == '\t' || c == ':'; };
  if (bytes.empty()) {
    return false;
  }
  if (after_lf_ && bad_start(bytes.front())) {
    return true;
  }
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin;
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
         nullptr) {
    if (p == begin ? !after_cr_ : p[-1] != '\r') {
      return true;
    }
    if (++p == end) {
      break;
    }
    if (bad_start(*p)) {
      return true;
    }
  }
  after_lf_ = bytes.back() == '\n';
  after_cr_ = bytes.back() == '\r';
  return false;
}

parse_step message_parser::parse_section(std::string_view data) {
  const std::string_view allowed = data.substr(0, limits_.max_header_size - head_bytes_);
  if (allowed.empty()) {
    return fail(431, header_overflow, "Header overflow");
  }
  int err = HPE_OK;
  const std::size_t n = execute(allowed, err);
  head_bytes_ += n;
  if (bad_line_break(allowed.substr(0, n))) {
    return fail(400, invalid_header_token, "Bare LF, obsolete line folding or empty header name");
  }
  if (err == HPE_PAUSED && pending_ == pending::head) {
    return complete_head(n);
  }
  if (err == HPE_PAUSED && pending_ == pending::end) {
    state_ = state::idle;  // the trailer section ended the message
    head_bytes_ = 0;
    return parse_step{n, parse_event::end, {}};
  }
  if (err != HPE_OK) {
    return llhttp_error(err);
  }
  if (allowed.size() < data.size()) {
    return fail(431, header_overflow, "Header overflow");  // the next byte is over the limit
  }
  return parse_step{n, parse_event::need_more, {}};
}

parse_step message_parser::parse_body(std::string_view data) {
  int err = HPE_OK;
  const std::size_t n = execute(data, err);
  if (err == HPE_PAUSED && pending_ == pending::ext_fix) {
    // llhttp 8.1.0 stopped after the `;` in a state that expects a chunk
    // size; one more `;` takes it to where a correct llhttp is: before the
    // next extension's name.
    static constexpr char semicolon = ';';
    int fix_err = HPE_OK;
    execute(std::string_view(&semicolon, 1), fix_err);
    if (fix_err != HPE_OK) {
      return llhttp_error(fix_err);
    }
    return parse_step{n, parse_event::need_more, {}};  // parse() goes on
  }
  if (err == HPE_PAUSED) {
    switch (pending_) {
      case pending::body:
        return parse_step{n, parse_event::body, body_};
      case pending::end:
        state_ = native(parser_)->upgrade != 0 ? state::upgraded : state::idle;
        head_bytes_ = 0;
        return parse_step{n, parse_event::end, {}};
      case pending::trailers:
        state_ = state::trailers;
        head_bytes_ = 0;
        after_lf_ = true;  // the section starts at a line start
        after_cr_ = false;
        trailer_name_.clear();
        return parse_step{n, parse_event::need_more, {}};  // parse() goes on
      default:
        break;
    }
  }
  if (err != HPE_OK) {
    return llhttp_error(err);
  }
  return parse_step{n, parse_event::need_more, {}};
}

parse_step message_parser::llhttp_error(int err) {
  if (callback_status_ != 0) {
    return fail(callback_status_, callback_reason_, callback_detail_);
  }
  // No span is left unreported at an error: llhttp hands a chunk
  // extension's bytes to its callback before it rejects the byte after
  // them, so the extension limit is met first wherever the reads ended
  // (HttpRequestParser.ChunkExtensionLimit, and the fuzz target, check it).
  llhttp_t* p = native(parser_);
  const char* detail = llhttp_get_error_reason(p);
  return fail(400, llhttp_errno_name(static_cast<llhttp_errno_t>(err)),
              detail != nullptr ? detail : "");
}

message_parser::head_facts message_parser::finish_head() {
  llhttp_t* p = native(parser_);
  head_.version_major = p->http_major;
  head_.version_minor = p->http_minor;
  if (kind_ == message_kind::request) {
    head_.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  } else {
    head_.status = p->status_code;
  }
  // One pass over the fields for what the checks need.
  head_facts facts;
  for (header& h : head_.fields.fields()) {
    trim_trailing(h.value);
    if (kind_ != message_kind::request) {
      continue;
    }
    if (iequals(h.name, "host")) {
      ++facts.hosts;
    } else if (iequals(h.name, "expect") && !facts.expect) {
      facts.expect = true;
      head_.expect_continue = iequals(h.value, "100-continue");
    }
  }
  head_.keep_alive = llhttp_should_keep_alive(p) != 0;
  head_.upgrade = p->upgrade != 0;
  head_.chunked = (p->flags & F_CHUNKED) != 0;
  if ((p->flags & F_CONTENT_LENGTH) != 0) {
    head_.content_length = p->content_length;
  }
  return facts;
}

parse_step message_parser::complete_head(std::size_t consumed) {
  const head_facts facts = finish_head();
  if (kind_ == message_kind::request) {
    if (!version_seen_) {
      return fail(400, "HPE_INVALID_VERSION", "HTTP/0.9 request line");
    }
    if (head_.version_major != 1) {
      return fail(505, "unsupported HTTP version", "HTTP major version other than 1");
    }
    if (limits_.require_host && head_.version_minor >= 1 && facts.hosts != 1) {
      return facts.hosts > 1
                 ? fail(400, "several Host fields", "HTTP/1.1 request with several Host fields")
                 : fail(400, "missing Host", "HTTP/1.1 request without Host");
    }
    if (facts.expect && !head_.expect_continue) {
      return fail(417, "unsupported expectation", "Expect other than 100-continue");
    }
    if (head_.content_length && *head_.content_length > limits_.max_body_size) {
      return fail(413, "body too large", "Content-Length over max_body_size");
    }
  }
  state_ = state::body;
  return parse_step{consumed, parse_event::head, {}};
}

parse_step message_parser::fail(int status, std::string_view reason,
                                std::string_view detail) noexcept {
  if (state_ != state::failed) {
    state_ = state::failed;
    error_status_ = status;
    error_reason_ = reason;
    error_detail_ = detail;
  }
  return parse_step{0, parse_event::error, {}};
}

// --- entry points ---------------------------------------------------------------

parse_step message_parser::parse(std::string_view data) {
  std::size_t consumed = 0;
  if (held_ && !data.empty()) {
    // data[0] is the byte held back after the last event; llhttp has read
    // it. Run what follows that event without new bytes (the end of a
    // message without a body, of a body that ended there).
    held_ = false;
    if (state_ == state::body) {
      const parse_step step = parse_body(data.substr(0, 0));
      if (step.event == parse_event::error) {
        return step;
      }
      if (step.event != parse_event::need_more) {
        return parse_step{1, step.event, step.body};
      }
    }
    consumed = 1;
    data.remove_prefix(1);
  }
  while (!data.empty()) {
    parse_step step;
    switch (state_) {
      case state::failed:
        return parse_step{0, parse_event::error, {}};
      case state::upgraded:
        return parse_step{consumed, parse_event::need_more, {}};  // another protocol: not ours
      case state::idle:
        if (!skip_empty_lines(data, consumed)) {
          return parse_step{0, parse_event::error, {}};
        }
        if (!data.empty()) {
          begin_message();
        }
        continue;
      case state::head:
      case state::trailers:
        step = parse_section(data);
        break;
      case state::body:
        step = parse_body(data);
        break;
    }
    if (step.event == parse_event::error) {
      return step;
    }
    if (step.event != parse_event::need_more) {
      if ((step.event == parse_event::head || step.event == parse_event::body) &&
          step.consumed == data.size()) {
        // The event took the last byte given: whatever comes next without
        // new bytes (the message's end) could never be reported, since
        // callers stop when their data is used up. Report the last byte
        // unconsumed; the next parse() gets it back and runs that first.
        --step.consumed;
        held_ = true;
      }
      consumed += step.consumed;
      step.consumed = consumed;
      return step;
    }
    consumed += step.consumed;
    // need_more: all of `data` was used, or llhttp paused on the way (the
    // trailers begin, the llhttp 8.1.0 workaround) and the rest follows.
    data.remove_prefix(step.consumed);
  }
  return parse_step{consumed, parse_event::need_more, {}};
}

parse_step message_parser::finish() {
  if (held_) {
    held_ = false;  // the byte held back after the last event was the last one
    if (state_ == state::body) {
      const parse_step step = parse_body(std::string_view());
      if (step.event == parse_event::error || step.event == parse_event::end) {
        return parse_step{0, step.event, {}};
      }
    }
  }
  switch (state_) {
    case state::failed:
      return parse_step{0, parse_event::error, {}};
    case state::idle:
    case state::upgraded:
      return parse_step{0, parse_event::need_more, {}};
    case state::body:
      if (kind_ == message_kind::response) {
        // A body delimited by the close ends here; llhttp says whether
        // this one was (and calls on_message_complete).
        llhttp_t* p = native(parser_);
        if (llhttp_get_errno(p) == HPE_PAUSED) {
          llhttp_resume(p);
        }
        pending_ = pending::none;
        llhttp_finish(p);
        if (pending_ == pending::end) {
          state_ = state::idle;
          return parse_step{0, parse_event::end, {}};
        }
      }
      break;
    case state::head:
    case state::trailers:
      break;
  }
  return fail(400, "HPE_INVALID_EOF_STATE", "Connection closed mid-message");
}

}  // namespace tether::http::detail
