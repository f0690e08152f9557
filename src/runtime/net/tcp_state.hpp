#pragma once
// The state behind net::socket and net::server, shared with libuv.
//
// Ownership: a state is owned jointly by its public handle (`owned`) and by
// libuv until the handle's close callback has run (`closed`); `pins` keep it
// alive across a callback that may drop the public handle (a coroutine
// reclaimed, a socket destroyed from its own read callback). It is freed by
// maybe_free() when all three are gone. Requests on a socket (WRITEWRAP,
// SHUTDOWNWRAP, TCPCONNECTWRAP) pin it until they are freed: libuv
// completes every request on a stream (ECANCELED if it was closed) before
// the stream's close callback, but a completion held back by an uncaught
// exception (runtime/request.hpp) runs after it.

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <tether/detail/unique_function.hpp>
#include <tether/net.hpp>

#include "runtime/loop_core.hpp"
#include "runtime/request.hpp"

namespace tether::detail {

using read_callback = unique_function<void(std::error_code, std::string)>;
using data_callback = unique_function<void(std::error_code, std::string_view)>;
using status_callback = unique_function<void(std::error_code)>;
using connect_callback = unique_function<void(std::error_code, net::socket)>;
using lookup_callback = unique_function<void(std::error_code, std::vector<net::address>)>;

inline constexpr std::string_view tcp_type = "TCPWRAP";
inline constexpr std::string_view tcp_server_type = "TCPSERVERWRAP";

// --- addresses (address.cpp) -------------------------------------------------

/// An IP literal ("127.0.0.1", "::1", "[::1]") and a port as a sockaddr;
/// false if `host` is not an IP literal.
bool parse_ip(std::string_view host, std::uint16_t port, sockaddr_storage& out) noexcept;
net::address to_address(const sockaddr& sa);
/// "127.0.0.1:80", "[::1]:80" (for error messages).
std::string endpoint(std::string_view host, std::uint16_t port);
std::string endpoint(const sockaddr& sa);

// --- completions -------------------------------------------------------------

/// Runs `T::run_deferred(T&)` as a microtask inside `r`'s scope, then
/// `T::finish_deferred(T&, ran)` after that scope (ran = false: the loop
/// dropped it unrun at teardown). For completions that must not run inside
/// the call that failed (a Node callback is never called synchronously).
template <class T>
void complete_soon(loop_core& loop, T& r) {
  raw_reaction job;
  job.run = [](void* arg) { T::run_deferred(*static_cast<T*>(arg)); };
  job.done = [](resource&, void* arg, bool ran) noexcept {
    T::finish_deferred(*static_cast<T*>(arg), ran);
  };
  job.arg = &r;
  loop.push_raw_reaction(r, job);
}

// --- socket ------------------------------------------------------------------

struct tcp_socket_state final : resource, handle_owner {
  /// A new state: TCPWRAP init (trigger: `trigger`, 0 = the current id),
  /// uv_tcp_init, registered with the loop. Not owned by any handle yet.
  static tcp_socket_state* create(loop_core& loop, async_id trigger, std::size_t high_water_mark);

  uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(&tcp); }
  uv_handle_t* handle() noexcept { return reinterpret_cast<uv_handle_t*>(&tcp); }
  static tcp_socket_state& of(uv_handle_t* h) noexcept {
    return *static_cast<tcp_socket_state*>(h->data);
  }

  /// uv_close (once); the close callback fails what is pending and emits
  /// destroy.
  void start_close() noexcept;
  void close_on_teardown() noexcept override { start_close(); }
  /// The public handle lets go.
  void release_owner() noexcept;
  void maybe_free() noexcept;

  /// Read or write progress: restarts the idle timeout.
  void touch() noexcept;
  void arm_timeout();
  void stop_timeout() noexcept;
  /// Resolves drained() waiters once below the high-water mark (or fails
  /// them with `ec`).
  void settle_drain(std::error_code ec);

  std::string peer_name() const;

  uv_tcp_t tcp{};
  loop_core* loop = nullptr;
  sockaddr_storage peer{};  // the remote address, for error messages (family 0: unknown)

  // Read side (socket.cpp).
  read_callback reader;  // the read() waiting, if any
  data_callback on_data;  // flowing mode: every chunk (moved out while it runs)
  std::string stash;     // received while nobody read; reading is paused
  int read_end = 0;      // sticky: UV_EOF or a read error
  bool has_stash = false;
  bool reading = false;       // uv_read_start active
  bool delivery_due = false;  // a complete_soon of the reader is queued
  bool flowing = false;       // on_data() mode (Node's 'data' events)
  bool paused = false;        // flowing mode: pause()d

  // Write side (write.cpp).
  std::size_t buffered = 0;
  std::size_t high_water_mark = 0;
  std::vector<status_callback> drain_waiters;
  bool ended = false;

  // Idle timeout.
  timer_node* timer = nullptr;  // retained; may be done (fired)
  std::uint64_t timeout_ms = 0;
  unique_function<void()> on_timeout;
  std::uint32_t timeout_generation = 0;

  bool owned = false;   // a net::socket refers to it
  bool open = false;    // uv_close not called yet
  bool closed = false;  // the close callback has run
  std::uint32_t pins = 0;

  static void run_deferred(tcp_socket_state& s);
  static void finish_deferred(tcp_socket_state& s, bool ran) noexcept;

  static void on_close(uv_handle_t* h);
};

/// The base of a request on a socket (WRITEWRAP, SHUTDOWNWRAP,
/// TCPCONNECTWRAP): its libuv request, libuv's status, and a pin on the
/// socket's state for as long as the request lives.
template <class Uv>
struct socket_request : uv_request<Uv> {
  explicit socket_request(tcp_socket_state& s) noexcept : socket(&s) { ++s.pins; }
  socket_request(const socket_request&) = delete;
  socket_request& operator=(const socket_request&) = delete;
  ~socket_request() {
    --socket->pins;
    socket->maybe_free();
  }

  tcp_socket_state* socket;
  int status = 0;  // libuv's, or its refusal (start_request_or_fail_soon)
};

// --- server ------------------------------------------------------------------

struct tcp_server_state final : resource, handle_owner {
  uv_handle_t* handle() noexcept { return reinterpret_cast<uv_handle_t*>(&tcp); }

  void start_close() noexcept;
  void close_on_teardown() noexcept override { start_close(); }
  void release_owner() noexcept;
  void maybe_free() noexcept;
  /// Hands the pending connection to a waiting accept() / on_connection.
  void pump();

  uv_tcp_t tcp{};
  loop_core* loop = nullptr;
  std::deque<connect_callback> waiters;  // accept()s, FIFO
  // libuv took a connection from the kernel that nobody waited for: it holds
  // it (and stops polling the listener) until uv_accept, so the connections
  // after it stay in the kernel's listen backlog, not in memory here.
  bool pending = false;
  unique_function<void(net::socket)> on_connection;
  std::string where;  // "host:port" as given to listen()
  bool owned = false;
  bool open = false;
  bool closed = false;
  bool pump_due = false;
  std::uint32_t pins = 0;

  static void run_deferred(tcp_server_state& s);
  static void finish_deferred(tcp_server_state& s, bool ran) noexcept;
  static void on_close(uv_handle_t* h);
};

/// The one place a socket's or server's state is freed (their maybe_free):
/// when no public handle owns it, libuv's close callback has run and no
/// pin holds it.
template <class State>
void free_if_unused(State& s) noexcept {
  if (!s.owned && s.closed && s.pins == 0) {
    const std::unique_ptr<State> last(&s);
  }
}

// --- dns (dns.cpp) -------------------------------------------------------------

/// dns::lookup with an explicit trigger for its GETADDRINFOREQWRAP (0: the
/// current id).
void start_lookup(loop_core& loop, std::string host, int family, bool all, async_id trigger,
                  lookup_callback cb);

/// UV_EAI_* codes: the failure came from getaddrinfo.
inline bool is_getaddrinfo_error(const std::error_code& ec) noexcept {
  return ec.value() <= UV_EAI_ADDRFAMILY && ec.value() >= UV_EAI_PROTOCOL;
}

}  // namespace tether::detail
