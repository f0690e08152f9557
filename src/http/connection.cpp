// One server connection: a net::socket driving the sans-I/O
// server_connection (see server_impl.hpp).

#include <tether/integration.hpp>

#include "http/server_impl.hpp"

namespace tether::http::detail {

namespace {

// After our FIN, how long the peer has to close its side before we do: the
// bytes it may still send are read and dropped, so that closing with unread
// data does not turn into an RST that destroys the answer in flight (a 400
// after a malformed pipeline, say).
constexpr std::uint64_t linger_ms = 2000;

}  // namespace

std::uint64_t loop_now() { return event_loop::current().now(); }

connection::connection(std::shared_ptr<server_state> server, net::socket sock)
    : server_(std::move(server)), sock_(std::move(sock)), core_(*this, server_->limits) {}

connection::~connection() = default;

void connection::start() {
  self_ = shared_from_this();
  accepted_at_ = loop_now();
  server_->connections.push_back(this);
  read_next();
  update_deadlines(accepted_at_);
}

// --- reading -----------------------------------------------------------------

void connection::read_next() {
  if (reading_ || closed_) {
    return;
  }
  reading_ = true;
  sock_.read([self = shared_from_this()](std::error_code ec, std::string data) {
    self->on_read(ec, std::move(data));
  });
}

void connection::on_read(std::error_code ec, std::string data) {
  reading_ = false;
  if (closed_) {
    return;
  }
  if (context_.empty()) {
    // The TCPWRAP's context (we run in its scope): every request's.
    context_ = captured_context::current();
  }
  if (ec || (ending_ && data.empty())) {
    close_now();  // reset, or the peer closed after our FIN
    return;
  }
  if (ending_) {
    read_next();  // lingering: drop what still arrives
    return;
  }
  in_core_ = true;
  if (data.empty()) {
    eof_ = true;
    core_.feed_eof();
  } else {
    core_.feed(data);
  }
  in_core_ = false;
  after_io();
}

// --- server_observer ---------------------------------------------------------

void connection::on_request(request_id id, message_head& head) {
  fresh_ = false;
  std::shared_ptr<exchange> ex;
  try {
    ex = std::make_shared<exchange>(shared_from_this(), id, std::move(head), sock_.id(), context_);
    live_.push_back(ex.get());
  } catch (...) {
    core_.abort(id);  // out of memory: no handler, the connection closes
    return;
  }
  exchange::run(std::move(ex), server_->on_request);
}

void connection::on_request_body(request_id id, std::string_view data) {
  if (exchange* ex = find(id)) {
    ex->on_body(data);
  }
}

void connection::on_request_end(request_id id) {
  if (exchange* ex = find(id)) {
    ex->on_end();
  }
}

void connection::on_request_error(request_id id, int status) {
  if (exchange* ex = find(id)) {
    ex->on_error(status);
  }
}

void connection::on_upgrade(request_id, message_head&, std::string_view) {
  // TODO(I/O side, issue 8): placeholder from the parser branch (see
  // server_impl.hpp). No handler is configured yet, so this never runs;
  // if it did, nobody would own the socket: close it.
  close_now();
}

exchange* connection::find(request_id id) const noexcept {
  for (exchange* ex : live_) {
    if (ex->rid() == id) {
      return ex;
    }
  }
  return nullptr;
}

void connection::forget(exchange* ex) noexcept {
  std::erase(live_, ex);
  if (!closed_ && !in_core_) {
    update_deadlines(loop_now());
  }
}

// --- writing -----------------------------------------------------------------

void connection::after_output() {
  if (closed_) {
    return;
  }
  if (in_core_) {
    flush();  // a handler answered from inside feed(): the outer after_io() does the rest
    return;
  }
  after_io();
}

void connection::after_io() {
  if (closed_) {
    return;
  }
  // Requests held back by backpressure: parse them now (a handler started
  // here may end its response at once; in_core_ makes that come back to
  // this loop rather than recurse).
  while (core_.can_resume()) {
    in_core_ = true;
    core_.resume();
    in_core_ = false;
  }
  flush();
  if (closed_) {
    return;
  }
  if (core_.done()) {
    begin_close();
  } else if (core_.wants_read() && !eof_) {
    read_next();
  }
  update_deadlines(loop_now());
}

void connection::flush() {
  if (!core_.has_output() || closed_ || ending_) {
    return;
  }
  sock_.write(core_.take_output(), [self = shared_from_this()](std::error_code ec) {
    if (ec) {
      self->close_now();  // EPIPE, ECONNRESET: the client is gone
    }
  });
}

promise<void> connection::drained(request_id id) {
  // Only the response on the wire waits: the others are held in memory by
  // the state machine until their turn.
  if (!closed_ && sock_.needs_drain() && core_.at_front(id)) {
    return sock_.drained().catch_([](std::exception_ptr) {});
  }
  return promise<void>::resolve();
}

void connection::begin_close() {
  if (ending_ || closed_) {
    return;
  }
  flush();
  ending_ = true;
  sock_.end([self = shared_from_this()](std::error_code ec) {
    if (ec || self->eof_) {
      self->close_now();  // the peer already closed its side: nothing to linger for
    }
  });
  read_next();
  update_deadlines(loop_now());
}

void connection::close_now() noexcept {
  if (closed_) {
    return;
  }
  closed_ = true;
  const std::shared_ptr<connection> keep = shared_from_this();
  sock_.close();
  for (exchange* ex : std::vector<exchange*>(live_)) {
    ex->on_closed();
  }
  server_->remove(this);
  self_.reset();
}

void connection::shutdown() {
  if (closed_) {
    return;
  }
  if (core_.idle() || fresh_) {
    close_now();
    return;
  }
  core_.shutdown();
  if (!in_core_) {
    after_io();
  }
}

// --- timeouts ----------------------------------------------------------------

void connection::update_deadlines(std::uint64_t now) {
  const server_options& o = server_->options;
  if (ending_) {
    head_deadline_ = idle_deadline_ = 0;
    if (linger_deadline_ == 0) {
      linger_deadline_ = now + linger_ms;
    }
    return;
  }
  const bool waiting_for_head = core_.receiving_head() || (fresh_ && core_.idle());
  if (!waiting_for_head) {
    head_deadline_ = 0;
  } else if (head_deadline_ == 0) {
    head_deadline_ = (fresh_ && !core_.receiving_head() ? accepted_at_ : now) +
                     static_cast<std::uint64_t>(o.headers_timeout.count());
  }
  if (!fresh_ && core_.idle() && live_.empty()) {
    if (idle_deadline_ == 0) {
      idle_deadline_ = now + static_cast<std::uint64_t>(o.keep_alive_timeout.count());
    }
  } else {
    idle_deadline_ = 0;
  }
}

void connection::check(std::uint64_t now) {
  if (closed_) {
    return;
  }
  if (head_deadline_ != 0 && now >= head_deadline_) {
    head_deadline_ = 0;
    if (core_.receiving_head()) {
      core_.headers_timeout();  // 408, then close
      after_io();
    } else {
      close_now();  // connected and never sent a byte
    }
  } else if (idle_deadline_ != 0 && now >= idle_deadline_) {
    close_now();
  } else if (linger_deadline_ != 0 && now >= linger_deadline_) {
    close_now();
  }
}

}  // namespace tether::http::detail
