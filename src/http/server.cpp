// http::server: the listener, its connections and the timeout interval.

#include <algorithm>

#include "http/server_impl.hpp"

namespace tether::http {
namespace detail {

void server_state::accept(net::socket s) {
  if (closed) {
    return;  // dropping the handle closes it
  }
  if (options.max_connections != 0 && connections.size() >= options.max_connections) {
    return;  // Node's maxConnections: closed at once
  }
  auto c = std::make_shared<connection>(shared_from_this(), std::move(s));
  c->start();
}

void server_state::check_timeouts() {
  const std::uint64_t now = loop_now();
  // A connection may close (and leave the list) while we look.
  std::vector<std::shared_ptr<connection>> all;
  all.reserve(connections.size());
  for (connection* c : connections) {
    all.push_back(c->shared_from_this());
  }
  for (const auto& c : all) {
    c->check(now);
  }
}

void server_state::remove(connection* c) noexcept {
  std::erase(connections, c);
  if (closed && connections.empty()) {
    clear_interval(checker);
  }
}

std::size_t server_state::buffered_bytes() const noexcept {
  std::size_t n = 0;
  for (const connection* c : connections) {
    n += c->buffered_bytes();
  }
  return n;
}

void server_state::close() noexcept {
  if (closed) {
    return;
  }
  closed = true;
  listener.close();
  std::vector<std::shared_ptr<connection>> all;
  for (connection* c : connections) {
    all.push_back(c->shared_from_this());
  }
  for (const auto& c : all) {
    c->shutdown();
  }
  if (connections.empty()) {
    clear_interval(checker);
  }
}

namespace {

/// How often the interval looks at the deadlines: a quarter of the
/// shortest timeout, within 10 ms..1 s (Node checks every 30 s).
std::chrono::milliseconds check_period(const server_options& o) {
  auto shortest = std::min(o.headers_timeout, o.keep_alive_timeout);
  if (o.request_timeout.count() > 0) {
    shortest = std::min(shortest, o.request_timeout);
  }
  return std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace detail

server::server(server&&) noexcept = default;
server& server::operator=(server&& o) noexcept {
  if (this != &o) {
    close();
    s_ = std::move(o.s_);
  }
  return *this;
}
server::~server() { close(); }

server server::listen(std::string host, std::uint16_t port, handler h, server_options options) {
  if (!h) {
    throw usage_error("tether: http::server::listen: the handler is empty");
  }
  if (options.max_header_size < 64) {
    throw usage_error("tether: http::server::listen: max_header_size must be at least 64 bytes");
  }
  if (options.headers_timeout.count() <= 0 || options.keep_alive_timeout.count() <= 0 ||
      options.request_timeout.count() < 0) {
    throw usage_error("tether: http::server::listen: the timeouts must be positive "
                      "(request_timeout: 0 for none)");
  }
  if (options.request_timeout.count() > 0 && options.request_timeout < options.headers_timeout) {
    throw usage_error("tether: http::server::listen: request_timeout is shorter than "
                      "headers_timeout; make it at least as long (as Node requires), or 0");
  }
  if (options.high_water_mark == 0) {
    throw usage_error("tether: http::server::listen: high_water_mark must be at least 1 byte");
  }
  auto state = std::make_shared<detail::server_state>();
  if (instrumentation* i = options.instrumented ? detail::current_instrumentation() : nullptr) {
    state->on_request = [i, inner = std::move(h)](request& req, response& res) mutable {
      return i->serve(req, res, inner);
    };
  } else {
    state->on_request = std::move(h);
  }
  state->options = options;
  state->limits.parser.max_header_size = options.max_header_size;
  state->limits.parser.max_body_size = options.max_body_size;
  state->limits.parser.require_host = options.require_host_header;
  state->limits.max_pipelined = options.max_pipelined;
  state->limits.max_requests_per_socket = options.max_requests_per_socket;
  state->limits.keep_alive_timeout_s =
      static_cast<std::uint32_t>(std::max<std::int64_t>(1, options.keep_alive_timeout.count() / 1000));
  state->listener = net::server::listen(std::move(host), port, options.backlog);
  std::weak_ptr<detail::server_state> weak = state;
  state->listener.on_connection([weak](net::socket s) {
    if (auto st = weak.lock()) {
      st->accept(std::move(s));
    }
  });
  // One unref'd interval per server, as Node's connectionsCheckingInterval:
  // it never keeps the loop alive by itself.
  state->checker = set_interval(
      [weak] {
        if (auto st = weak.lock()) {
          st->check_timeouts();
          if (st->closed && st->connections.empty()) {
            clear_interval(st->checker);
          }
        }
      },
      detail::check_period(options));
  state->checker.unref();
  server out;
  out.s_ = std::move(state);
  return out;
}

std::uint16_t server::port() const {
  if (!s_) {
    throw usage_error("tether: http::server::port() on an empty server handle");
  }
  return s_->listener.port();
}

async_id server::id() const noexcept { return s_ ? s_->listener.id() : 0; }
std::size_t server::connections() const noexcept { return s_ ? s_->connections.size() : 0; }
std::size_t server::buffered_bytes() const noexcept { return s_ ? s_->buffered_bytes() : 0; }

server& server::on_upgrade(upgrade_handler h) {
  if (!s_ || !h) {
    throw usage_error("tether: http::server::on_upgrade: needs a listening server and a handler");
  }
  s_->on_upgrade = std::move(h);
  s_->limits.upgrade_handler = true;
  return *this;
}

server& server::on_connect(upgrade_handler h) {
  if (!s_ || !h) {
    throw usage_error("tether: http::server::on_connect: needs a listening server and a handler");
  }
  s_->on_connect = std::move(h);
  s_->limits.connect_handler = true;
  return *this;
}

void server::close() noexcept {
  if (s_) {
    s_->close();
  }
}

}  // namespace tether::http
