// net::connect: a TCPWRAP (trigger: the current id), a lookup for a host
// name (GETADDRINFOREQWRAP, trigger: the TCPWRAP), then one TCPCONNECTWRAP
// (trigger: the TCPWRAP) whose scope the result is delivered in. As Node's
// lookupAndConnect, except that Node reaches internalConnect for an IP
// literal through a process.nextTick (one TickObject): tether connects at
// once (docs/net.md).

#include <algorithm>
#include <memory>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view connect_type = "TCPCONNECTWRAP";

struct connect_req final : resource {
  uv_connect_t req{};
  tcp_socket_state* sock = nullptr;
  connect_callback cb;
  int status = 0;

  /// Inside the TCPCONNECTWRAP's scope: hands the socket over, or closes it.
  void complete() {
    connect_callback done = std::move(cb);
    cb = nullptr;
    tcp_socket_state* s = std::exchange(sock, nullptr);
    if (status < 0) {
      s->start_close();  // not owned: freed by its close callback
      done(make_uv_error_code(status), net::socket());
      return;
    }
    done({}, net::socket(s));
  }
  void finish() noexcept {
    if (sock != nullptr) {  // never completed (teardown): the socket is closing already
      sock->start_close();
    }
    emit_destroy(*this);
    delete this;
  }

  static void on_connect(uv_connect_t* r, int status) {
    auto& c = *static_cast<connect_req*>(r->data);
    c.status = status;
    if (c.sock->loop->closing()) {
      c.finish();
      return;
    }
    c.sock->loop->run_callback(
        c, [&] { c.complete(); }, [&] { c.finish(); });
  }
  static void run_deferred(connect_req& c) { c.complete(); }
  static void finish_deferred(connect_req& c, bool) noexcept { c.finish(); }
};

void start_connect(tcp_socket_state& s, const sockaddr_storage& addr, connect_callback cb) {
  auto c = std::make_unique<connect_req>();
  c->sock = &s;
  c->cb = std::move(cb);
  c->req.data = c.get();
  s.peer = addr;
  emit_init(*c, connect_type, s.id());
  if (!s.open) {  // the loop closed it meanwhile
    c->status = UV_ECANCELED;
    complete_soon(*s.loop, *c);
  } else if (const int rc = uv_tcp_connect(&c->req, &s.tcp, reinterpret_cast<const sockaddr*>(&addr),
                                           &connect_req::on_connect);
             rc < 0) {
    c->status = rc;
    complete_soon(*s.loop, *c);
  }
  c.release();
}

/// IPv4 first (Node's old `verbatim: false` order): "localhost" may list ::1
/// first while servers usually listen on 127.0.0.1.
const net::address* pick(const std::vector<net::address>& addrs) {
  const auto v4 = std::find_if(addrs.begin(), addrs.end(),
                               [](const net::address& a) { return a.family == 4; });
  if (v4 != addrs.end()) {
    return &*v4;
  }
  return addrs.empty() ? nullptr : &addrs.front();
}

void connect_to(std::string host, std::uint16_t port, net::socket_options options,
                connect_callback cb) {
  loop_core& loop = current_core();
  tcp_socket_state* s = tcp_socket_state::create(loop, 0, options.high_water_mark);
  uv_tcp_nodelay(&s->tcp, options.no_delay ? 1 : 0);
  sockaddr_storage addr{};
  if (parse_ip(host, port, addr)) {
    start_connect(*s, addr, std::move(cb));
    return;
  }
  auto on_lookup = [s, port, cb = std::move(cb)](std::error_code ec,
                                                 std::vector<net::address> addrs) mutable {
    const net::address* a = ec ? nullptr : pick(addrs);
    sockaddr_storage target{};
    if (a == nullptr || !parse_ip(a->ip, port, target)) {
      s->start_close();
      cb(ec ? ec : make_uv_error_code(UV_EAI_NONAME), net::socket());
      return;
    }
    start_connect(*s, target, std::move(cb));
  };
  start_lookup(loop, std::move(host), 0, true, s->id(), std::move(on_lookup));
}

}  // namespace
}  // namespace tether::detail

namespace tether::net {

void connect(std::string host, std::uint16_t port, socket_options options,
             detail::unique_function<void(std::error_code, socket)> cb) {
  detail::connect_to(std::move(host), port, options, std::move(cb));
}

void connect(std::string host, std::uint16_t port,
             detail::unique_function<void(std::error_code, socket)> cb) {
  detail::connect_to(std::move(host), port, socket_options{}, std::move(cb));
}

promise<socket> connect(std::string host, std::uint16_t port, socket_options options) {
  auto [p, r] = make_promise<socket>();
  std::string where = detail::endpoint(host, port);
  detail::connect_to(std::move(host), port, options,
                     [r = std::move(r), where = std::move(where)](std::error_code ec,
                                                                  socket s) mutable {
                       if (ec) {
                         const char* syscall =
                             detail::is_getaddrinfo_error(ec) ? "getaddrinfo" : "connect";
                         r.reject(std::make_exception_ptr(uv_error(ec, syscall, where)));
                       } else {
                         r.resolve(std::move(s));
                       }
                     });
  return std::move(p);
}

}  // namespace tether::net
