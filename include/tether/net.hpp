#pragma once
// Node's net on libuv: TCP servers, sockets and connect, coroutine-first.
//
//   tether::promise<> echo(tether::net::socket s) {
//     for (;;) {
//       std::string chunk = co_await s.read();   // "" at end of stream
//       if (chunk.empty()) break;
//       co_await s.write(std::move(chunk));      // resolves once flushed
//     }
//     co_await s.end();                          // half-close (FIN)
//   }
//   tether::promise<> serve() {
//     auto srv = tether::net::server::listen("127.0.0.1", 0);
//     for (;;) { auto s = co_await srv.accept(); echo(std::move(s)); }
//   }
//
// Resources, as Node's (docs/net.md has the full table):
//   TCPSERVERWRAP   at listen()                 trigger: the current id
//   TCPWRAP         accepted connection         trigger: the server (init
//                                               before the server's before)
//   TCPWRAP         connect()                   trigger: the current id
//   GETADDRINFOREQWRAP connect() to a host name trigger: the TCPWRAP
//   TCPCONNECTWRAP  connect()                   trigger: the TCPWRAP;
//                                               connect() settles in its scope
//   WRITEWRAP       write() the kernel did not  trigger: the socket
//                   take whole at once
//   SHUTDOWNWRAP    end()                       trigger: the socket
// accept()/on_connection settle in the server's scope, read() in the
// socket's, write() in its WRITEWRAP's (a callback for a write taken at
// once in a TickObject's), end() in its SHUTDOWNWRAP's. Every
// init gets exactly one destroy: a request's right after its callback, a
// socket's or server's when libuv's close callback has run.
//
// Errors: the promise forms reject with tether::uv_error naming the call and
// the address, e.g. "connect '127.0.0.1:9': connection refused
// (ECONNREFUSED)"; the callback forms get the std::error_code. API misuse
// (an empty handle, two concurrent read()s, write() after end()) throws
// tether::usage_error at the call.
//
// Loop-thread only. Destroying a handle closes it; destroying the loop
// closes every socket and server still open (pending promises are then
// never settled, their coroutines reclaimed; no callback runs).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <tether/async_hooks.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/promise.hpp>

struct uv_tcp_s;
using uv_tcp_t = uv_tcp_s;  // the same type as libuv's typedef; <uv.h> not needed here

namespace tether {
namespace detail {
struct tcp_socket_state;
struct tcp_server_state;
}  // namespace detail

namespace net {

/// Node's socket.address(): an IP address and a port.
struct address {
  std::string ip;  // "127.0.0.1", "::1"
  std::uint16_t port = 0;
  int family = 4;  // 4 or 6

  friend bool operator==(const address&, const address&) = default;
};

struct socket_options {
  /// Node's writableHighWaterMark: needs_drain() once this many bytes wait.
  std::size_t high_water_mark = 16 * 1024;
  /// TCP_NODELAY (Node's noDelay).
  bool no_delay = true;
};

/// A TCP connection ("TCPWRAP"). A move-only handle to a state shared with
/// libuv; destroying the handle closes the connection (uv_close), and the
/// TCPWRAP's destroy fires when libuv's close callback has run.
class socket {
 public:
  socket() noexcept = default;
  socket(socket&& o) noexcept;
  socket& operator=(socket&& o) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();

  bool valid() const noexcept { return s_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }
  /// The TCPWRAP's async id (0 for an empty handle).
  async_id id() const noexcept;

  /// The next chunk received (at most 64 KiB); "" at end of stream (the
  /// peer's FIN; every later read() gives "" again). Rejects with uv_error
  /// ("read", ECONNRESET...) on a connection error, with ECANCELED if the
  /// socket is closed first. One read at a time: a second read() before the
  /// first settled throws usage_error. Reading starts with the first read()
  /// and pauses (uv_read_stop) while a chunk waits for a reader, so a peer
  /// that sends faster than we read is held back by TCP.
  [[nodiscard]] promise<std::string> read();
  /// Writes `data`, as Node: what the kernel takes at once is written
  /// inside this call (uv_try_write; the promise is then already resolved,
  /// and no resource is created), the rest is queued in one WRITEWRAP
  /// (trigger = the socket). Resolves when libuv has handed all of it to the
  /// kernel. Rejects with uv_error ("write", EPIPE, ECONNRESET, ECANCELED if
  /// closed first). Throws usage_error after end().
  [[nodiscard]] promise<void> write(std::string data);
  /// Half-close: after the pending writes, shutdown (SHUTDOWNWRAP, trigger =
  /// the socket) sends FIN. Reading stays possible. A second end() throws
  /// usage_error.
  [[nodiscard]] promise<void> end();

  /// Callback forms (Node-style): the same operations; `cb` runs in the
  /// same scope as the promise form settles in.
  void read(detail::unique_function<void(std::error_code, std::string)> cb);

  /// Flowing mode (Node's 'data' events), for protocol parsers: reading
  /// starts, and `cb` runs inside the socket's scope for every chunk
  /// received (at most 64 KiB), with a view valid only during the call (no
  /// copy, no allocation per read), then once with an empty view at the
  /// end: `ec` empty for the peer's FIN, else the read error. Never called
  /// after close(). While it is set, read() throws usage_error;
  /// on_data(nullptr) returns to read() (reading paused until then). `cb` may
  /// pause, replace or clear itself, or close the socket.
  void on_data(detail::unique_function<void(std::error_code, std::string_view)> cb);
  /// Flowing mode: stops reading (uv_read_stop) so that TCP holds the peer
  /// back, until resume(). No-op outside flowing mode.
  void pause() noexcept;
  void resume();
  bool is_paused() const noexcept;
  void write(std::string data, detail::unique_function<void(std::error_code)> cb);
  void end(detail::unique_function<void(std::error_code)> cb);

  /// Aborts the connection (uv_close): pending reads, writes, end() and
  /// drained() fail with ECANCELED, from libuv's close callback. The handle
  /// stays valid (later operations fail with ECANCELED). Idempotent.
  void close() noexcept;
  /// True until close() (or the handle's destruction).
  bool is_open() const noexcept;

  /// Bytes of write()s the kernel did not take at once whose completion has
  /// not run yet.
  std::size_t buffered_amount() const noexcept;
  /// buffered_amount() >= high_water_mark (Node: write() returned false).
  bool needs_drain() const noexcept;
  std::size_t high_water_mark() const noexcept;
  /// Resolves once buffered_amount() < high_water_mark (at once if already
  /// so); rejects with ECANCELED if the socket is closed first.
  [[nodiscard]] promise<void> drained();

  /// Node's socket.setTimeout: after `ms` without read or write progress,
  /// calls on_timeout once per idle period, inside an unref'd "Timeout"
  /// resource's scope (as Node, which runs it from a timer); 0 disables. The
  /// socket is not closed automatically.
  void set_timeout(std::chrono::milliseconds ms, detail::unique_function<void()> on_timeout);
  void set_no_delay(bool enable);
  void set_keep_alive(bool enable, std::chrono::seconds delay = {});
  /// Throws uv_error ("getsockname"/"getpeername") on a closed socket.
  address local_address() const;
  address remote_address() const;
  /// The libuv handle, for what tether does not wrap (uv_fileno, then
  /// getsockopt/setsockopt); null for an empty or closed socket. Reading,
  /// writing or closing through it bypasses tether: don't.
  uv_tcp_t* native_handle() const noexcept;

  /// Not API: takes over a state with no other owner.
  explicit socket(detail::tcp_socket_state* s) noexcept;

 private:
  detail::tcp_socket_state& require(const char* what) const;
  detail::tcp_socket_state* s_ = nullptr;
};

/// A listening TCP server ("TCPSERVERWRAP", init at listen()).
class server {
 public:
  server() noexcept = default;
  server(server&& o) noexcept;
  server& operator=(server&& o) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  /// Binds and listens; port 0 picks a free port (see port()). host is an
  /// IP literal or "localhost" (taken as 127.0.0.1, without a lookup).
  /// Throws uv_error naming host:port ("listen '127.0.0.1:80': address
  /// already in use (EADDRINUSE)"); the TCPSERVERWRAP then still gets its
  /// init and (later) its destroy.
  static server listen(std::string host, std::uint16_t port, int backlog = 511);

  bool valid() const noexcept { return s_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }
  std::uint16_t port() const;
  address local_address() const;

  /// The next accepted connection, in arrival order. Its TCPWRAP's init
  /// (trigger = the server) fires when the connection is taken from the
  /// kernel; the promise resolves inside the server's scope. Connections
  /// that arrive while nobody waits stay in the kernel's listen backlog
  /// (libuv holds the first and stops polling the listener), so a server
  /// that stops accepting holds no memory for them and, once `backlog` is
  /// full, the kernel holds clients back. Several accept()s may wait at
  /// once. Rejects with uv_error ECANCELED once the server is closed.
  [[nodiscard]] promise<net::socket> accept();
  /// Callback form: on_connection runs in the server's scope for every new
  /// connection (Node's 'connection'), a waiting one first; mutually
  /// exclusive with accept() (usage_error).
  void on_connection(detail::unique_function<void(net::socket)> cb);

  /// Stops listening (uv_close); waiting accept()s reject with ECANCELED and
  /// connections not accepted yet are closed. Idempotent.
  void close() noexcept;
  bool listening() const noexcept;
  async_id id() const noexcept;

 private:
  explicit server(detail::tcp_server_state* s) noexcept : s_(s) {}
  detail::tcp_server_state& require(const char* what) const;
  detail::tcp_server_state* s_ = nullptr;
};

/// Connects to host:port. An IP literal is used as is (Node skips the
/// lookup too); any other name is resolved first (dns::lookup: one
/// GETADDRINFOREQWRAP, trigger = the TCPWRAP), IPv4 addresses first, and
/// the first address is tried. Creates a TCPWRAP (trigger = the current id)
/// and a TCPCONNECTWRAP (trigger = that TCPWRAP); resolves inside the
/// TCPCONNECTWRAP's scope. Rejects with uv_error naming host:port
/// ("connect", ECONNREFUSED...; "getaddrinfo", EAI_NONAME: Node's ENOTFOUND).
[[nodiscard]] promise<socket> connect(std::string host, std::uint16_t port,
                                      socket_options options = {});
void connect(std::string host, std::uint16_t port,
             detail::unique_function<void(std::error_code, socket)> cb);
void connect(std::string host, std::uint16_t port, socket_options options,
             detail::unique_function<void(std::error_code, socket)> cb);

}  // namespace net
}  // namespace tether
