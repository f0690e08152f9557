// net::server: a listening TCPSERVERWRAP; each accepted connection a
// TCPWRAP whose trigger is the server (Node's ConnectionWrap::OnConnection:
// the socket's init fires first, then the server's before, the hand-off,
// its after).

#include <memory>
#include <utility>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"

namespace tether::detail {
namespace {

tcp_server_state& server_of(uv_stream_t* s) noexcept {
  return *static_cast<tcp_server_state*>(s->data);
}

/// Hands one accepted connection on (inside the server's scope): to
/// on_connection, else to the first waiting accept().
void hand_off(tcp_server_state& srv, net::socket sock) {
  if (srv.on_connection) {
    srv.on_connection(std::move(sock));
  } else if (!srv.waiters.empty()) {
    connect_callback w = std::move(srv.waiters.front());
    srv.waiters.pop_front();
    w({}, std::move(sock));
  }
}

/// Takes the connection libuv holds (uv_accept) as a new TCPWRAP, trigger =
/// the server; its init comes before the server's before, as in Node. An
/// empty socket if that failed: out of memory (the connection stays pending)
/// or uv_accept's error (the connection is lost).
net::socket take_pending(tcp_server_state& srv) {
  tcp_socket_state* s = nullptr;
  try {
    s = tcp_socket_state::create(*srv.loop, srv.id(), net::socket_options{}.high_water_mark);
  } catch (...) {
    return {};
  }
  srv.pending = false;
  net::socket sock(s);
  if (const int rc = uv_accept(reinterpret_cast<uv_stream_t*>(&srv.tcp), s->stream()); rc < 0) {
    return {};  // `sock` closes the half-made TCPWRAP (init then destroy)
  }
  uv_tcp_nodelay(&s->tcp, 1);
  int len = sizeof s->peer;
  uv_tcp_getpeername(&s->tcp, reinterpret_cast<sockaddr*>(&s->peer), &len);
  return sock;
}

void on_connection(uv_stream_t* server, int status) {
  tcp_server_state& srv = server_of(server);
  if (srv.loop->closing() || !srv.open) {
    return;
  }
  if (status < 0) {
    // EMFILE and the like: the first waiting accept() learns about it.
    if (srv.waiters.empty()) {
      return;
    }
    ++srv.pins;
    srv.loop->run_callback(
        srv,
        [&] {
          connect_callback w = std::move(srv.waiters.front());
          srv.waiters.pop_front();
          w(make_uv_error_code(status), net::socket());
        },
        [] {});
    --srv.pins;
    srv.maybe_free();
    return;
  }
  srv.pending = true;
  if (!srv.on_connection && srv.waiters.empty()) {
    // Nobody takes it: not accepting it makes libuv hold it and stop
    // polling the listener until uv_accept (pump()), so what follows waits
    // in the kernel's backlog instead of in memory here.
    return;
  }
  net::socket sock = take_pending(srv);
  if (!sock.valid()) {
    return;
  }
  ++srv.pins;
  srv.loop->run_callback(
      srv, [&] { hand_off(srv, std::move(sock)); }, [] {});
  --srv.pins;
  srv.maybe_free();
}

}  // namespace

void tcp_server_state::start_close() noexcept {
  if (!open) {
    return;
  }
  open = false;
  loop->remove_handle_owner(*this);
  // A connection libuv holds for us is closed with the server (by libuv).
  pending = false;
  uv_close(handle(), &tcp_server_state::on_close);
}

void tcp_server_state::on_close(uv_handle_t* h) {
  tcp_server_state& s = *static_cast<tcp_server_state*>(h->data);
  s.closed = true;
  ++s.pins;
  std::deque<connect_callback> waiting = std::move(s.waiters);
  s.waiters.clear();
  s.on_connection = nullptr;
  if (s.loop->closing() || waiting.empty()) {
    emit_destroy(s);
  } else {
    s.loop->run_callback(
        s,
        [&] {
          for (connect_callback& w : waiting) {
            std::exchange(w, nullptr)(make_uv_error_code(UV_ECANCELED), net::socket());
          }
        },
        [&] { emit_destroy(s); });
  }
  waiting.clear();
  --s.pins;
  s.maybe_free();
}

void tcp_server_state::release_owner() noexcept {
  owned = false;
  start_close();
  maybe_free();
}

void tcp_server_state::maybe_free() noexcept { free_if_unused(*this); }

void tcp_server_state::pump() {
  // One at a time: uv_accept makes libuv poll again, and the next
  // connection comes through on_connection() while someone still waits.
  if (!pending || !open || (!on_connection && waiters.empty())) {
    return;
  }
  if (net::socket sock = take_pending(*this); sock.valid()) {
    hand_off(*this, std::move(sock));
  }
}

void tcp_server_state::run_deferred(tcp_server_state& s) {
  s.pump_due = false;
  s.pump();
}

void tcp_server_state::finish_deferred(tcp_server_state& s, bool) noexcept {
  s.pump_due = false;
  --s.pins;
  s.maybe_free();
}

namespace {

/// A pending connection and a new taker: hand it over from a microtask in
/// the server's scope (never synchronously inside accept()).
void schedule_pump(tcp_server_state& s) {
  if (s.pump_due || !s.pending) {
    return;
  }
  ++s.pins;
  s.pump_due = true;
  try {
    complete_soon(*s.loop, s);
  } catch (...) {
    --s.pins;
    s.pump_due = false;
    throw;
  }
}

}  // namespace
}  // namespace tether::detail

namespace tether::net {

using detail::tcp_server_state;

server::server(server&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

server& server::operator=(server&& o) noexcept {
  if (this != &o) {
    if (s_ != nullptr) {
      s_->release_owner();
    }
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

server::~server() {
  if (s_ != nullptr) {
    s_->release_owner();
  }
}

tcp_server_state& server::require(const char* what) const {
  if (s_ == nullptr) {
    throw usage_error(std::string("tether::net::server::") + what +
                      "() called on an empty server (default-constructed or moved-from); use "
                      "server::listen()");
  }
  return *s_;
}

server server::listen(std::string host, std::uint16_t port, int backlog) {
  detail::loop_core& loop = detail::current_core();
  sockaddr_storage addr{};
  const std::string_view ip = host == "localhost" ? std::string_view("127.0.0.1") : host;
  if (!detail::parse_ip(ip, port, addr)) {
    throw usage_error("tether::net::server::listen(\"" + host +
                      "\"): host must be an IP literal (\"127.0.0.1\", \"::\") or \"localhost\"");
  }
  auto state = std::make_unique<tcp_server_state>();
  tcp_server_state* s = state.get();
  s->loop = &loop;
  s->where = detail::endpoint(host, port);
  if (const int rc = uv_tcp_init(loop.uv(), &s->tcp); rc < 0) {
    throw uv_error(make_uv_error_code(rc), "listen", s->where);
  }
  s->tcp.data = s;
  emit_init(*s, detail::tcp_server_type);
  s->open = true;
  loop.add_handle_owner(*s);
  state.release();  // owned by libuv until its close callback, and by the server handle
  int rc = uv_tcp_bind(&s->tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s->tcp), backlog, &detail::on_connection);
  }
  if (rc < 0) {
    s->start_close();  // destroy fires from the close callback, which frees it
    throw uv_error(make_uv_error_code(rc), "listen", s->where);
  }
  s->owned = true;
  return server(s);
}

std::uint16_t server::port() const { return local_address().port; }

address server::local_address() const {
  tcp_server_state& s = require("local_address");
  sockaddr_storage ss{};
  int len = sizeof ss;
  const int rc = s.open ? uv_tcp_getsockname(&s.tcp, reinterpret_cast<sockaddr*>(&ss), &len)
                        : UV_EBADF;
  if (rc < 0) {
    throw uv_error(make_uv_error_code(rc), "getsockname", s.where);
  }
  return detail::to_address(reinterpret_cast<const sockaddr&>(ss));
}

void server::on_connection(detail::unique_function<void(net::socket)> cb) {
  tcp_server_state& s = require("on_connection");
  if (!s.waiters.empty()) {
    throw usage_error(
        "tether::net::server::on_connection() called while accept() is waiting; use one or the "
        "other");
  }
  s.on_connection = std::move(cb);
  detail::schedule_pump(s);
}

promise<net::socket> server::accept() {
  tcp_server_state& s = require("accept");
  if (s.on_connection) {
    throw usage_error(
        "tether::net::server::accept() called on a server with an on_connection() callback; use "
        "one or the other");
  }
  if (!s.open) {
    return promise<net::socket>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "accept", s.where)));
  }
  auto [p, r] = make_promise<net::socket>();
  s.waiters.emplace_back([r = std::move(r), sp = &s](std::error_code ec, net::socket sock) mutable {
    if (ec) {
      r.reject(std::make_exception_ptr(uv_error(ec, "accept", sp->where)));
    } else {
      r.resolve(std::move(sock));
    }
  });
  detail::schedule_pump(s);
  return std::move(p);
}

void server::close() noexcept {
  if (s_ != nullptr) {
    s_->start_close();
  }
}

bool server::listening() const noexcept { return s_ != nullptr && s_->open; }

async_id server::id() const noexcept { return s_ != nullptr ? s_->id() : 0; }

}  // namespace tether::net
