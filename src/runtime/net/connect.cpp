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
#include "runtime/request.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view connect_type = "TCPCONNECTWRAP";

/// TCPCONNECTWRAP, trigger = the socket. The socket is handed over by
/// complete(); one the request did not hand over (a failure, or the loop
/// dropping the request unrun) is closed (not owned: its close callback
/// frees it).
struct connect_request final : socket_request<uv_connect_t> {
  using socket_request::socket_request;
  connect_request(const connect_request&) = delete;
  connect_request& operator=(const connect_request&) = delete;
  ~connect_request() {
    if (!handed_over) {
      socket->start_close();
    }
  }

  /// Inside the TCPCONNECTWRAP's scope.
  void complete() {
    connect_callback done = std::move(cb);
    if (status < 0) {
      socket->start_close();
      done(make_uv_error_code(status), net::socket());
      return;
    }
    handed_over = true;
    done({}, net::socket(socket));
  }

  static void on_connect(uv_connect_t* r, int status) {
    auto& c = request_of<connect_request>(r);
    c.status = status;
    complete_request(c);
  }

  connect_callback cb;
  bool handed_over = false;
};

void start_connect(tcp_socket_state& s, const sockaddr_storage& addr, connect_callback cb) {
  auto c = std::make_unique<connect_request>(s);
  c->cb = std::move(cb);
  s.peer = addr;
  start_request_or_fail_soon(std::move(c), *s.loop, connect_type, s.id(), [&](connect_request& r) {
    if (!s.open) {
      return static_cast<int>(UV_ECANCELED);  // the loop closed it meanwhile
    }
    return uv_tcp_connect(&r.req, &s.tcp, reinterpret_cast<const sockaddr*>(&addr),
                          &connect_request::on_connect);
  });
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
