// The server side of one HTTP/1.1 connection, sans I/O (see the header).

#include "http/server_connection.hpp"

#include <algorithm>
#include <charconv>

#include "http/serializer.hpp"

namespace tether::http::detail {

namespace {

std::optional<std::uint64_t> parse_length(std::string_view v) noexcept {
  std::uint64_t n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

server_connection::server_connection(server_observer& observer, server_limits limits)
    : observer_(observer), limits_(limits), parser_(message_kind::request, limits.parser) {
  if (limits_.date == nullptr) {
    limits_.date = &http_date_now;
  }
  if (limits_.max_pipelined == 0) {
    limits_.max_pipelined = 1;
  }
}

// --- input ------------------------------------------------------------------

void server_connection::feed(std::string_view data) {
  if (upgrade_) {
    upgrade_->rest.append(data);  // the new protocol's, not ours: keep it for on_upgrade
    return;
  }
  if (stopped_ || data.empty()) {
    return;
  }
  if (!backlog_.empty()) {
    backlog_.append(data);
    resume();
    return;
  }
  process(data);
}

void server_connection::resume() {
  if (upgrade_ && slots_.empty()) {
    pending_upgrade u = std::move(*upgrade_);
    upgrade_.reset();
    observer_.on_upgrade(u.id, u.head, u.rest);
    return;
  }
  if (backlog_.empty() || stopped_) {
    return;
  }
  std::string pending = std::move(backlog_);
  backlog_.clear();
  process(pending);
  if (eof_ && backlog_.empty()) {
    feed_eof();
  }
}

void server_connection::process(std::string_view in) {
  while (!in.empty() && !stopped_) {
    if (!parser_.in_message() && slots_.size() >= limits_.max_pipelined) {
      break;  // backpressure: parse the next request once responses are done
    }
    const parse_step step = parser_.parse(in);
    in.remove_prefix(step.consumed);
    switch (step.event) {
      case parse_event::need_more:
        break;
      case parse_event::head: {
        message_head& h = parser_.head();
        if (h.upgrade) {
          const bool connect = h.method == "CONNECT";
          if (connect ? limits_.connect_handler : limits_.upgrade_handler) {
            upgrade(h, in.substr(parser_.held_back()));
            return;
          }
          if (connect) {
            // RFC 9110 9.3.6: any 2xx to CONNECT means "tunnel open", and
            // nobody would run the tunnel.
            stop();
            backlog_.clear();
            push_error_response(405);
            return;
          }
          // An Upgrade nobody takes: an ordinary request (Node 20) whose
          // response closes the connection (keep_alive below).
        }
        ++requests_;
        const bool last_allowed = limits_.max_requests_per_socket != 0 &&
                                  requests_ >= limits_.max_requests_per_socket;
        slot s;
        s.id = next_id_++;
        s.head_request = h.method == "HEAD";
        s.http10 = h.version_minor == 0;
        s.keep_alive = h.keep_alive && !h.upgrade && !last_allowed;
        s.expect_continue = h.expect_continue;
        slots_.push_back(std::move(s));
        receiving_ = slots_.back().id;
        receiving_keeps_alive_ = slots_.back().keep_alive;
        observer_.on_request(slots_.back().id, h);
        break;
      }
      case parse_event::body:
        if (receiving_) {
          observer_.on_request_body(*receiving_, step.body);
        }
        break;
      case parse_event::end: {
        if (!receiving_) {
          break;
        }
        const request_id id = *receiving_;
        receiving_.reset();
        if (slot* s = find(id)) {
          s->body_complete = true;
        }
        if (!receiving_keeps_alive_ || shutting_down_) {
          // "Connection: close", HTTP/1.0 without keep-alive, an upgrade
          // served as a request, or the last request allowed: whatever
          // follows is not for us.
          stop();
          in = {};
        }
        observer_.on_request_end(id);
        break;
      }
      case parse_event::error:
        fail_input(parser_.error_status());
        return;
    }
  }
  if (!in.empty() && !stopped_) {
    backlog_.assign(in);
  }
}

void server_connection::upgrade(message_head& head, std::string_view rest) {
  stop();
  backlog_.clear();
  const request_id id = next_id_++;
  if (slots_.empty()) {
    observer_.on_upgrade(id, head, rest);
    return;
  }
  // Earlier responses go out first: resume() hands over once they are done.
  upgrade_.emplace(pending_upgrade{id, std::move(head), std::string(rest)});
}

void server_connection::feed_eof() {
  if (!backlog_.empty() && !stopped_) {
    eof_ = true;  // answer what was received first (resume() comes back here)
    return;
  }
  if (stopped_) {
    return;
  }
  // A request cut off by the half-close (mid-head or mid-body) gets a 400,
  // as in Node; the requests received whole are still answered.
  if (parser_.finish().event == parse_event::error) {
    fail_input(parser_.error_status());
    return;
  }
  stop();
}

void server_connection::headers_timeout() {
  if (stopped_ || !parser_.in_head()) {
    return;
  }
  fail_input(408);
}

void server_connection::request_timeout() {
  if (stopped_ || !parser_.in_message()) {
    return;
  }
  fail_input(408);
}

void server_connection::fail_input(int status) {
  stop();
  backlog_.clear();
  if (!receiving_) {
    push_error_response(status);  // struck in a head or between requests
    return;
  }
  // The request whose body was arriving failed (413 past the limit, 400 on
  // a bad chunk or a half-close, 408): the error becomes its answer unless
  // its response began.
  const request_id id = *receiving_;
  receiving_.reset();
  if (slot* s = find(id)) {
    if (!s->started) {
      sink(*s) += serialize_error_response(status);
      s->started = true;
      s->close_after = true;
      observer_.on_request_error(id, status);
      finish_slot(id);
      return;
    }
    s->close_after = true;
  }
  observer_.on_request_error(id, status);
}

void server_connection::push_error_response(int status) {
  slot e;
  e.id = next_id_++;
  e.started = true;
  e.close_after = true;
  slots_.push_back(std::move(e));
  sink(slots_.back()) += serialize_error_response(status);
  finish_slot(slots_.back().id);
}

// --- output -----------------------------------------------------------------

server_connection::slot* server_connection::find(request_id id) noexcept {
  if (slots_.empty() || id < slots_.front().id || id - slots_.front().id >= slots_.size()) {
    return nullptr;
  }
  return &slots_[static_cast<std::size_t>(id - slots_.front().id)];
}

const server_connection::slot* server_connection::find(request_id id) const noexcept {
  return const_cast<server_connection*>(this)->find(id);
}

bool server_connection::writable(request_id id) const noexcept {
  const slot* s = find(id);
  return s != nullptr && !s->ended;
}

bool server_connection::started(request_id id) const noexcept {
  const slot* s = find(id);
  return s != nullptr && s->started;
}

bool server_connection::start(request_id id, const response_start& r) {
  slot* s = find(id);
  if (s == nullptr || s->started) {
    return false;
  }
  static const headers no_fields;
  const headers& fields = r.fields != nullptr ? *r.fields : no_fields;

  std::optional<std::uint64_t> user_length;
  bool user_chunked = false;
  bool user_close = false;
  bool user_date = false;
  for (const header& h : fields) {
    if (iequals(h.name, "content-length")) {
      user_length = parse_length(h.value);
    } else if (iequals(h.name, "transfer-encoding")) {
      user_chunked = true;
    } else if (iequals(h.name, "connection")) {
      user_close = user_close || iequals(h.value, "close");
    } else if (iequals(h.name, "date")) {
      user_date = true;
    }
  }

  const bool no_body_status = r.status < 200 || r.status == 204 || r.status == 304;
  if (no_body_status || s->head_request) {
    s->frame = framing::none;
  } else if (user_chunked) {
    s->frame = framing::chunked;
  } else if (user_length) {
    s->frame = framing::length;
    s->remaining = *user_length;
  } else if (r.content_length) {
    s->frame = framing::length;
    s->remaining = *r.content_length;
  } else if (!s->http10) {
    s->frame = framing::chunked;
  } else {
    s->frame = framing::until_close;
  }

  bool keep = s->keep_alive && s->frame != framing::until_close && !user_close;
  if ((stopped_ || shutting_down_) && s == &slots_.back() && !upgrade_) {
    keep = false;  // nothing follows this response on this connection
  }
  if (s->expect_continue && !s->continue_sent && !s->body_complete) {
    keep = false;  // the client may never send the body it was waiting to send
  }
  if (!keep) {
    s->close_after = true;
  }

  std::string& out = sink(*s);
  append_status_line(out, r.status, r.reason);
  for (const header& h : fields) {
    if (!iequals(h.name, "connection") && !(keep && iequals(h.name, "keep-alive"))) {
      append_field(out, h.name, h.value);
    }
  }
  if (!user_date) {
    append_field(out, "Date", limits_.date());
  }
  if (keep) {
    out += "Connection: keep-alive\r\nKeep-Alive: timeout=";
    out += std::to_string(limits_.keep_alive_timeout_s);
    if (limits_.max_requests_per_socket != 0) {
      out += ", max=";  // as Node says it: the limit, not what is left of it
      out += std::to_string(limits_.max_requests_per_socket);
    }
    out += "\r\n";
  } else {
    out += "Connection: close\r\n";
  }
  if (s->frame == framing::chunked && !user_chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (s->frame == framing::length && !user_length) {
    append_field(out, "Content-Length", s->remaining);
  } else if (s->head_request && !no_body_status && !user_length && !user_chunked) {
    // A HEAD response announces the length a GET would have had, if known.
    if (r.content_length) {
      append_field(out, "Content-Length", *r.content_length);
    }
  }
  out += "\r\n";
  s->started = true;
  return true;
}

bool server_connection::write(request_id id, std::string_view data) {
  slot* s = find(id);
  if (s == nullptr || !s->started || s->ended) {
    return false;
  }
  switch (s->frame) {
    case framing::none:
      break;  // HEAD, 204, 304: the body is dropped
    case framing::length: {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), s->remaining));
      sink(*s).append(data.substr(0, n));
      s->remaining -= n;
      if (n < data.size()) {
        s->close_after = true;  // more than announced: cut, and the connection cannot go on
      }
      break;
    }
    case framing::chunked:
      append_chunk(sink(*s), data);
      break;
    case framing::until_close:
      sink(*s).append(data);
      break;
  }
  return true;
}

bool server_connection::end(request_id id) {
  slot* s = find(id);
  if (s == nullptr || s->ended) {
    return false;
  }
  if (!s->started) {
    response_start r;
    r.content_length = 0;
    start(id, r);
  }
  switch (s->frame) {
    case framing::chunked:
      sink(*s) += last_chunk;
      break;
    case framing::length:
      if (s->remaining != 0) {
        s->close_after = true;  // shorter than announced: the client must see the close
      }
      break;
    case framing::until_close:
      s->close_after = true;
      break;
    case framing::none:
      break;
  }
  finish_slot(id);
  return true;
}

bool server_connection::abort(request_id id) {
  slot* s = find(id);
  if (s == nullptr || s->ended) {
    return false;
  }
  s->close_after = true;
  finish_slot(id);
  return true;
}

void server_connection::shutdown() noexcept {
  shutting_down_ = true;
  if (!parser_.in_message()) {
    stop();
    backlog_.clear();
  }
}

void server_connection::write_continue(request_id id) {
  slot* s = find(id);
  if (s != nullptr && s->expect_continue && !s->continue_sent && !s->started &&
      !s->body_complete) {
    sink(*s) += continue_response;
    s->continue_sent = true;
  }
}

void server_connection::finish_slot(request_id id) {
  slot* s = find(id);
  if (s == nullptr) {
    return;
  }
  s->ended = true;
  // Release every finished response at the front, in order; the next
  // unfinished one's held-back output follows them.
  while (!slots_.empty() && slots_.front().ended) {
    const bool close = slots_.front().close_after;
    slots_.pop_front();
    if (close) {
      // Requests pipelined behind a closing response are never answered.
      slots_.clear();
      stop();
      backlog_.clear();
      receiving_.reset();
      upgrade_.reset();  // the connection closes: no hand-over
      return;
    }
    if (!slots_.empty()) {
      output_ += slots_.front().out;
      std::string().swap(slots_.front().out);
    }
  }
}

}  // namespace tether::http::detail
