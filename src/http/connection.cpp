// One server connection: a net::socket driving the sans-I/O
// server_connection, with backpressure both ways (see server_impl.hpp).

#include <algorithm>

#include <tether/integration.hpp>

#include "http/server_impl.hpp"

namespace tether::http::detail {

namespace {

// After our FIN, how long the peer has to close its side before we do: the
// bytes it may still send are read and dropped, so that closing with unread
// data does not turn into an RST that destroys the answer in flight (a 400
// after a malformed pipeline, say).
constexpr std::uint64_t linger_ms = 2000;

// Received bytes go to the parser in pieces of at most this, and the output
// is checked between pieces: a chunk of tiny pipelined requests whose
// handlers answer at once can add at most one piece's worth of answers
// (about 40: no request is shorter than ~26 bytes) past the high-water
// mark, not the 2,500 a whole 64 KiB read could hold (Node checks once per
// read). Requests rarely span pieces, so this costs nothing in the usual case.
constexpr std::size_t feed_piece = 1024;

thread_local std::size_t alive = 0;

}  // namespace

std::uint64_t loop_now() { return event_loop::current().now(); }
std::size_t live_connections() noexcept { return alive; }

connection::connection(std::shared_ptr<server_state> server, net::socket sock)
    : server_(std::move(server)), sock_(std::move(sock)),
      high_water_mark_(std::max<std::size_t>(1, server_->options.high_water_mark)) {
  core_.emplace(*this, server_->limits);
  ++alive;
}

connection::~connection() { --alive; }

void connection::start() {
  self_ = shared_from_this();
  accepted_at_ = loop_now();
  server_->connections.push_back(this);
  // Raw `this`: the socket is ours, and on_data is never called after it
  // closed (close_now() closes it before letting go of self_).
  sock_.on_data([this](std::error_code ec, std::string_view data) { on_data(ec, data); });
  update_deadlines(accepted_at_);
}

std::size_t connection::buffered_bytes() const noexcept {
  std::size_t n = unfed_.size() - unfed_pos_;
  if (upgrade_) {
    n += upgrade_->rest.size();
  }
  if (core_) {
    n += core_->held_output() + core_->held_input();
  }
  if (!closed_) {
    n += sock_.buffered_amount();
  }
  return n;
}

template <class F>
void connection::in_core(F&& f) {
  in_core_ = true;
  f(*core_);
  in_core_ = false;
  if (closed_) {
    core_.reset();  // what it held goes now, not when the last exchange does
  }
}

// --- reading -----------------------------------------------------------------

void connection::on_data(std::error_code ec, std::string_view data) {
  const std::shared_ptr<connection> keep = shared_from_this();  // close_now() may let go
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
    return;  // lingering: drop what still arrives
  }
  if (data.empty()) {
    eof_ = true;
  } else if (unfed_pos_ < unfed_.size()) {
    unfed_.append(data);  // behind what waits already (reading was pausing)
  } else {
    unfed_.clear();
    unfed_pos_ = 0;
    const std::size_t used = feed(data);
    if (used < data.size()) {
      unfed_.append(data.substr(used));
    }
  }
  pump();
}

bool connection::output_full() const noexcept {
  return sock_.buffered_amount() + core_->held_output() >= high_water_mark_;
}

bool connection::can_feed() const noexcept {
  return !closed_ && !upgrade_ && core_->wants_read() && !output_full();
}

std::size_t connection::feed(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size() && can_feed()) {
    const std::size_t n = std::min(feed_piece, data.size() - used);
    in_core([&](server_connection& c) { c.feed(data.substr(used, n)); });
    used += n;
  }
  if (closed_) {
    return data.size();
  }
  if (upgrade_) {
    upgrade_->rest.append(data.substr(used));  // the new protocol's first bytes
    return data.size();
  }
  if (core_->upgrading()) {
    // An upgrade waits for the responses before it: the state machine keeps
    // these for its `rest`.
    in_core([&](server_connection& c) { c.feed(data.substr(used)); });
    return data.size();
  }
  if (!core_->wants_read() && core_->held_input() == 0) {
    return data.size();  // the state machine stopped for good: nobody reads these
  }
  return used;
}

// --- server_observer ---------------------------------------------------------

void connection::on_request(request_id id, message_head& head) {
  fresh_ = false;
  std::shared_ptr<exchange> ex;
  try {
    ex = std::make_shared<exchange>(shared_from_this(), id, std::move(head), sock_.id(), context_);
    live_.push_back(ex.get());
  } catch (...) {
    core_->abort(id);  // out of memory: no handler, the connection closes
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
  request_started_ = 0;  // the next request's time starts with its first byte
  if (exchange* ex = find(id)) {
    ex->on_end();
  }
}

void connection::on_request_error(request_id id, int status) {
  if (exchange* ex = find(id)) {
    ex->on_error(status);
  }
}

void connection::on_upgrade(request_id id, message_head& head, std::string_view rest) {
  fresh_ = false;
  // The responses before it are complete (the state machine waited for
  // them): pump() writes them and hands the socket over.
  upgrade_.emplace(pending_upgrade{id, std::move(head), std::string(rest)});
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
  waiting_writers_ -= ex->release_writes();
  std::erase(live_, ex);
  if (!closed_ && !in_core_) {
    update_deadlines(loop_now());
  }
}

// --- the pump ----------------------------------------------------------------

void connection::after_output() {
  if (closed_) {
    return;
  }
  if (in_core_ || pumping_) {
    flush();  // a handler answered from inside the parser: the caller pumps after
    return;
  }
  pump();
}

void connection::pump() {
  if (closed_) {
    return;
  }
  if (pumping_ || in_core_) {
    repump_ = true;  // the pump running further up sees it
    return;
  }
  pumping_ = true;
  for (;;) {
    repump_ = false;
    bool progress = false;
    // Requests held back by max_pipelined first (a handler started here
    // may end its response at once: in_core_ makes that come back to this
    // loop rather than recurse), then bytes held back by the output.
    while (!closed_ && core_->can_resume() && !output_full()) {
      in_core([](server_connection& c) { c.resume(); });
      progress = true;
    }
    if (!closed_ && unfed_pos_ < unfed_.size() && can_feed()) {
      const std::size_t used = feed(std::string_view(unfed_).substr(unfed_pos_));
      if (closed_) {
        break;  // release_buffers() took unfed_
      }
      unfed_pos_ += used;
      if (unfed_pos_ == unfed_.size()) {
        unfed_.clear();  // keeps its capacity for the next hold-up
        unfed_pos_ = 0;
      }
      progress = progress || used != 0;
    }
    if (!closed_ && eof_ && !eof_fed_ && !upgrade_ && unfed_pos_ == unfed_.size()) {
      eof_fed_ = true;
      in_core([](server_connection& c) { c.feed_eof(); });
      progress = true;
    }
    if (closed_) {
      break;
    }
    flush();
    if (upgrade_) {
      hand_over();
      break;
    }
    if (core_->done()) {
      begin_close();
    }
    if (closed_ || (!progress && !repump_)) {
      break;
    }
  }
  pumping_ = false;
  if (closed_) {
    return;
  }
  stalled_ = output_full();
  update_reading();
  release_writers();
  update_deadlines(loop_now());
}

void connection::update_reading() {
  // Lingering after our FIN: read, and drop (unless the peer has closed
  // too: then the end() callback closes, once our last bytes are out).
  bool want = !eof_;
  if (!ending_) {
    want = !eof_ && !upgrade_ && !core_->upgrading() && unfed_pos_ == unfed_.size() &&
           core_->wants_read() && !output_full();
  }
  if (want == !sock_.is_paused()) {
    return;
  }
  if (want) {
    sock_.resume();
  } else {
    sock_.pause();  // TCP holds the client back until we catch up
  }
}

// --- writing -----------------------------------------------------------------

void connection::flush() {
  if (!core_->has_output() || closed_ || ending_) {
    return;
  }
  sock_.write(core_->take_output(), [self = shared_from_this()](std::error_code ec) {
    if (ec) {
      self->close_now();  // EPIPE, ECONNRESET: the client is gone
    } else if (self->stalled_ || self->waiting_writers_ != 0) {
      self->pump();  // below the mark again, maybe: read, parse, release writes
    }
  });
}

promise<void> connection::write_ready(exchange& ex) {
  const request_id id = ex.rid();
  if (closed_ || !core_->writable(id) ||
      (core_->at_front(id) && sock_.buffered_amount() < high_water_mark_)) {
    return promise<void>::resolve();
  }
  // Not its turn (an earlier response is on the wire), or the socket is
  // over the mark: Node's write() returning false, with the promise as 'drain'.
  auto [p, r] = make_promise<void>();
  ex.add_write_waiter(std::move(r));
  ++waiting_writers_;
  return std::move(p);
}

void connection::release_writers() noexcept {
  if (waiting_writers_ == 0) {
    return;
  }
  const bool below = !closed_ && sock_.buffered_amount() < high_water_mark_;
  for (exchange* ex : live_) {
    if (!ex->waiting_to_write()) {
      continue;
    }
    const request_id id = ex->rid();
    if (closed_ || !core_->writable(id) || (below && core_->at_front(id))) {
      waiting_writers_ -= ex->release_writes();
    }
  }
}

// --- upgrade / CONNECT ---------------------------------------------------------

void connection::hand_over() {
  // The responses before it are in the socket's queue (flush()): the
  // handler's writes follow them.
  const std::shared_ptr<connection> keep = shared_from_this();
  pending_upgrade u = std::move(*upgrade_);
  upgrade_.reset();
  net::socket s = std::move(sock_);
  s.on_data(nullptr);  // the handler reads with read(); paused until it does
  // From here the connection is out of the socket's way: responses of
  // earlier handlers still running are dropped, as on a closed connection.
  closed_ = true;
  for (exchange* ex : std::vector<exchange*>(live_)) {
    ex->on_closed();
  }
  release_writers();
  server_->remove(this);
  release_buffers();
  const bool connect = u.head.method == "CONNECT";
  upgrade_handler& h = connect ? server_->on_connect : server_->on_upgrade;
  try {
    auto ex = std::make_shared<exchange>(shared_from_this(), u.id, std::move(u.head), s.id(), context_);
    live_.push_back(ex.get());
    ex->on_end();  // what follows the head is the new protocol's, not a body
    exchange::run_upgrade(std::move(ex), h, std::move(s), std::move(u.rest));
  } catch (...) {
    // Out of memory: `s` closes.
  }
  self_.reset();
}

// --- closing -----------------------------------------------------------------

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
}

void connection::release_buffers() noexcept {
  std::string().swap(unfed_);  // released, not only emptied
  unfed_pos_ = 0;
  upgrade_.reset();
  if (!in_core_) {
    core_.reset();  // else in_core() does it when the state machine returns
  }
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
  release_writers();
  server_->remove(this);
  release_buffers();
  self_.reset();
}

void connection::shutdown() {
  if (closed_) {
    return;
  }
  if (upgrade_ || core_->idle() || fresh_) {
    close_now();
    return;
  }
  core_->shutdown();
  pump();
}

// --- timeouts ----------------------------------------------------------------

void connection::update_deadlines(std::uint64_t now) {
  if (closed_) {
    return;
  }
  const server_options& o = server_->options;
  if (ending_) {
    head_deadline_ = request_deadline_ = idle_deadline_ = 0;
    if (linger_deadline_ == 0) {
      linger_deadline_ = now + linger_ms;
    }
    return;
  }
  // A request is arriving from its first byte (a new connection: from the
  // connection) until its body has ended.
  const bool waiting_for_first = fresh_ && core_->idle();
  const bool in_head = core_->receiving_head() || waiting_for_first;
  if (!in_head && !core_->receiving_request()) {
    request_started_ = 0;
  } else if (request_started_ == 0) {
    request_started_ = waiting_for_first ? accepted_at_ : now;
  }
  head_deadline_ = in_head ? request_started_ + static_cast<std::uint64_t>(o.headers_timeout.count()) : 0;
  request_deadline_ = request_started_ != 0 && o.request_timeout.count() > 0
                          ? request_started_ + static_cast<std::uint64_t>(o.request_timeout.count())
                          : 0;
  if (!fresh_ && core_->idle() && live_.empty()) {
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
  const std::shared_ptr<connection> keep = shared_from_this();
  if (head_deadline_ != 0 && now >= head_deadline_) {
    if (core_->receiving_head()) {
      in_core([](server_connection& c) { c.headers_timeout(); });  // 408, then close
      pump();
    } else {
      close_now();  // connected and never sent a byte
    }
  } else if (request_deadline_ != 0 && now >= request_deadline_) {
    in_core([](server_connection& c) { c.request_timeout(); });  // 408, then close
    pump();
  } else if ((idle_deadline_ != 0 && now >= idle_deadline_) ||
             (linger_deadline_ != 0 && now >= linger_deadline_)) {
    close_now();
  }
}

}  // namespace tether::http::detail
