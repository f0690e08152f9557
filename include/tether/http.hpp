#pragma once
// HTTP/1.1 server and client on tether::net (Node's http), coroutine-first.
//
//   tether::async_local_storage<std::string> request_id;
//   auto srv = tether::http::server::listen("127.0.0.1", 8080,
//       [&](tether::http::request& req, tether::http::response& res) -> tether::promise<> {
//         request_id.enter_with(std::string(req.header("x-request-id")));
//         std::string body = co_await req.body();       // whole body, limit-checked
//         co_await tether::delay(10ms);                 // the store flows through
//         res.set_header("content-type", "text/plain");
//         co_await res.end(*request_id.get_store());
//       });
//
//   tether::http::client_response r = co_await tether::http::fetch("GET", "127.0.0.1:8080/x");
//
// Resources (docs/http.md has the full picture):
//   HTTPINCOMINGMESSAGE  one per request   trigger: its connection's TCPWRAP;
//                        the handler runs inside its scope (so a store set
//                        there flows through every await of the handler);
//                        destroy once the handler's promise has settled
//   HTTPCLIENTREQUEST    one per fetch()   trigger: the current id (Node's
//                        ClientRequest); the connection is made, the response
//                        parsed and the promise settled inside its scope
// plus the net resources underneath (TCPSERVERWRAP, TCPWRAP, WRITEWRAP,
// SHUTDOWNWRAP, TCPCONNECTWRAP) and one unref'd "Timeout" interval per
// server that enforces the timeouts (Node's connectionsCheckingInterval).
//
// Limits and answers (Node's defaults; the connection is closed after each):
//   malformed request line or header syntax, smuggling (Content-Length with
//   Transfer-Encoding, duplicate Content-Length, a final coding other than
//   chunked), bad chunk framing, obs-fold, no Host in HTTP/1.1   -> 400
//   head (request line + header block) over max_header_size      -> 431
//   body over max_body_size                                      -> 413
//   an Expect other than 100-continue                            -> 417
//   an HTTP major version other than 1                           -> 505
//   head not complete within headers_timeout                     -> 408
//   request (head and body) not complete within request_timeout  -> 408
//   CONNECT with no on_connect handler                           -> 405
//   a handler that throws (or whose promise rejects)             -> 500 for
//   that request only, if its response had not started; the server goes on.
// A keep-alive connection idle for keep_alive_timeout is closed silently.
// Memory per connection is bounded whatever the client does: reading stops
// while its unsent output is at high_water_mark, and write() waits for its
// turn (docs/http.md, "Backpressure"); buffered_bytes() shows it.
//
// Loop-thread only. Destroying a server handle closes it (see close()).
//
// g++ 12 destroys some temporaries inside a co_await operand twice (a
// double free): build a body from a conditional or an initializer list
// (`co_await res.end(ok ? a : b)`, `fetch(..., http::headers{{...}})`) in a
// named variable first, then co_await.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/http_headers.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>

namespace tether::http {

namespace detail {
class exchange;
class client_exchange;
struct server_state;
class client_pool;
}  // namespace detail

/// Why a request's body could not be read, or a fetch failed at the HTTP
/// level: status() is the answer the server sent (413, 400) or 0 when the
/// connection was lost.
class error : public std::runtime_error {
 public:
  error(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// An incoming request, valid until the handler's promise settles.
class request {
 public:
  request(const request&) = delete;
  request& operator=(const request&) = delete;

  std::string_view method() const noexcept;
  /// The request target as sent: "/path?query".
  std::string_view target() const noexcept;
  /// The target up to '?'.
  std::string_view path() const noexcept;
  /// The target after '?' (empty if none).
  std::string_view query() const noexcept;
  unsigned version_major() const noexcept;
  unsigned version_minor() const noexcept;
  const http::headers& headers() const noexcept;
  /// The first value of a header field ("" if absent).
  std::string_view header(std::string_view name) const noexcept;
  /// The HTTPINCOMINGMESSAGE resource's id.
  async_id id() const noexcept;

  /// The whole body. Sends "100 Continue" first if the client asked for it.
  /// Rejects with http::error: 413 over the body limit, 400 on bad chunk
  /// framing, 408 when it is late (request_timeout; the connection answers
  /// those itself), 0 if the client went away first. Each call yields the
  /// whole body (a copy).
  [[nodiscard]] promise<std::string> body();

 private:
  friend class detail::exchange;
  explicit request(detail::exchange& ex) noexcept : ex_(ex) {}
  detail::exchange& ex_;
};

/// The response to one request, valid until the handler's promise settles.
/// The status line and headers go out with the first write() or end():
/// Content-Length when end() alone gives the whole body (or the handler set
/// it), else chunked (HTTP/1.1) or close-delimited (HTTP/1.0). Date,
/// Connection and Keep-Alive are added as Node does.
class response {
 public:
  response(const response&) = delete;
  response& operator=(const response&) = delete;

  /// 200 unless set. Throws usage_error outside 200..599 or after the head
  /// went out.
  response& status(int code);
  int status() const noexcept;
  /// Replaces every field of that name. Throws usage_error for a name that
  /// is not a token, a value with CR, LF or NUL, or after the head went out.
  response& set_header(std::string name, std::string value);
  /// Adds a field (a second Set-Cookie, say); same checks.
  response& add_header(std::string name, std::string value);
  response& remove_header(std::string_view name);
  const http::headers& headers() const noexcept;
  bool headers_sent() const noexcept;
  bool finished() const noexcept;

  /// Sends a piece of the body (the head first, if not yet sent). Resolves
  /// when the response may write more: it is the one on the wire (not
  /// waiting behind an earlier pipelined response) and the socket is below
  /// server_options::high_water_mark (Node's write() returning false, then
  /// 'drain'); at once in the usual case. Awaiting it is what keeps a slow
  /// client from making the server hold a large body. Throws usage_error
  /// after end(). On a closed connection the data is dropped (and it
  /// resolves).
  [[nodiscard]] promise<void> write(std::string chunk);
  /// Sends `body` (if any) and ends the response; resolves at once (the
  /// body is held until it can be written). A second end() does nothing.
  [[nodiscard]] promise<void> end(std::string body = {});

 private:
  friend class detail::exchange;
  explicit response(detail::exchange& ex) noexcept : ex_(ex) {}
  void require_unsent(const char* what) const;
  detail::exchange& ex_;
};

/// A request handler: a coroutine (or any function) returning promise<void>.
/// When its promise settles the response is ended if the handler did not;
/// if it rejected (or threw), the client gets a 500 when the response had
/// not started, else the connection is closed after what was sent.
using handler = tether::detail::unique_function<promise<void>(request&, response&)>;

/// A CONNECT or Upgrade handler (Node's 'connect' and 'upgrade' events): the
/// request (valid until the promise settles), the connection's socket, now
/// the handler's to read and write (it sends the "HTTP/1.1 101" or "200"
/// answer itself), and the bytes the client sent after the request's head
/// (the new protocol's first bytes; often empty). The socket keeps its
/// TCPWRAP; the server no longer counts, times or closes it.
using upgrade_handler =
    tether::detail::unique_function<promise<void>(request&, net::socket, std::string)>;

struct server_options {
  /// Request line + header block, in bytes (Node's maxHeaderSize).
  std::size_t max_header_size = 16 * 1024;
  /// Request bodies over this get a 413 (Node has no limit; tether does).
  std::uint64_t max_body_size = 1024 * 1024;
  /// From the first byte of a request (or the connection) to the end of its
  /// head (Node's headersTimeout); 408 and close on expiry.
  std::chrono::milliseconds headers_timeout{60'000};
  /// An idle keep-alive connection is closed after this (Node's
  /// keepAliveTimeout).
  std::chrono::milliseconds keep_alive_timeout{5'000};
  /// From the first byte of a request to its last, head and body (Node's
  /// requestTimeout); 408 and close on expiry. 0: none; else at least
  /// headers_timeout.
  std::chrono::milliseconds request_timeout{300'000};
  /// Requests parsed and not yet answered on one connection before parsing
  /// waits (pipelining backpressure).
  std::size_t max_pipelined = 32;
  /// A connection stops reading while the output it holds (responses
  /// waiting behind an earlier one + the socket's unsent writes) is at this
  /// many bytes, and a write() waits until the socket is below it (Node's
  /// highWaterMark).
  std::size_t high_water_mark = 16 * 1024;
  /// Requests served on one connection before it closes (Node's
  /// maxRequestsPerSocket); 0: unlimited.
  std::size_t max_requests_per_socket = 0;
  /// Open connections at most (Node's server.maxConnections): one more is
  /// closed as soon as it is accepted. 0: unlimited.
  std::size_t max_connections = 0;
  /// HTTP/1.1 requests must carry exactly one Host (Node 20's requireHostHeader).
  bool require_host_header = true;
  int backlog = 511;
  /// false: this server's requests skip the process's http::instrumentation
  /// (tracing): a health endpoint, or an OTLP receiver in the same process.
  bool instrumented = true;
};

/// An HTTP server (Node's http.Server). Move-only; destroying it closes it.
class server {
 public:
  server() noexcept = default;
  server(server&&) noexcept;
  server& operator=(server&&) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  /// Listens on host:port (port 0: a free one, see port()) and serves every
  /// request with `h`. Throws uv_error as net::server::listen.
  static server listen(std::string host, std::uint16_t port, handler h, server_options options = {});

  bool valid() const noexcept { return s_ != nullptr; }
  std::uint16_t port() const;
  /// The TCPSERVERWRAP's id.
  async_id id() const noexcept;
  /// Open connections (not counting sockets handed to an upgrade handler).
  std::size_t connections() const noexcept;
  /// Bytes the connections hold in memory now: output not yet handed to
  /// the kernel (responses waiting their turn, the sockets' write queues)
  /// and input received but not parsed. What backpressure bounds.
  std::size_t buffered_bytes() const noexcept;
  /// Hands requests that ask to switch protocols (an Upgrade header with
  /// "Connection: upgrade") to `h` with the socket (Node's 'upgrade'
  /// event); without one they go to the request handler as any request.
  /// For connections accepted from now on.
  server& on_upgrade(upgrade_handler h);
  /// Hands CONNECT requests to `h` with the socket (Node's 'connect'
  /// event); without one, CONNECT is answered 405. For connections
  /// accepted from now on.
  server& on_connect(upgrade_handler h);
  /// Stops listening and closes idle connections; busy ones close once
  /// their in-flight responses are sent (Node's server.close()). Idempotent.
  void close() noexcept;

 private:
  std::shared_ptr<detail::server_state> s_;
};

/// What fetch() returns.
struct client_response {
  int status = 0;
  std::string reason;
  http::headers headers;
  std::string body;
};

/// A keep-alive connection pool (Node's http.Agent with keepAlive: true).
/// Idle connections are reused per host:port; at most max_idle_per_host are
/// kept. Must be destroyed before its loop. Loop-thread only.
class agent {
 public:
  explicit agent(std::size_t max_idle_per_host = 64);
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;
  ~agent();
  /// Idle connections held now.
  std::size_t idle() const noexcept;
  /// Closes the idle connections.
  void close_idle() noexcept;

 private:
  friend class detail::client_exchange;
  std::shared_ptr<detail::client_pool> pool_;
};

struct fetch_options {
  std::string method = "GET";
  http::headers headers;
  std::string body;
  /// Reuse connections through this pool; null: a new connection per
  /// request, with "Connection: close".
  agent* pool = nullptr;
  std::uint64_t max_body_size = UINT64_MAX;
  /// From the call to the last byte of the answer; on expiry the connection
  /// is closed and the promise rejects with uv_error ETIMEDOUT. 0: none
  /// (Node's default).
  std::chrono::milliseconds timeout{0};
};

/// Sends one request and reads the whole response. `url` is
/// "http://host:port/path", "host:port/path" or "host/path" (port 80).
/// Creates one HTTPCLIENTREQUEST resource (trigger: the current id); the
/// connection (TCPWRAP, trigger: the HTTPCLIENTREQUEST) is made, the
/// response parsed and the promise settled inside its scope. Rejects with
/// uv_error (connect, read, write failures) or http::error (a malformed
/// response, or the connection closed before it was complete: status 0).
/// Throws usage_error at once for a malformed url, method or header.
[[nodiscard]] promise<client_response> fetch(std::string url, fetch_options options);
[[nodiscard]] promise<client_response> fetch(std::string method, std::string url,
                                             std::string body = {}, http::headers headers = {});

/// The seam through which a tracing layer (tether::trace installs one when
/// it is linked) sees every HTTP exchange of the process: every request a
/// server started after set_instrumentation() serves, and every fetch().
/// Not for application code: wrap your handler instead.
class instrumentation {
 public:
  /// fetch() without instrumentation.
  using send_function = promise<client_response> (*)(std::string url, fetch_options options);

  /// Serves one request: must call next(req, res) exactly once (in the
  /// context it chooses) and return a promise that settles after next's.
  virtual promise<void> serve(request& req, response& res, handler& next) = 0;
  /// Makes one request: may change `options` (its headers, say), must call
  /// send(url, options) exactly once and return a promise that settles
  /// with its result (or after it).
  virtual promise<client_response> fetch(std::string url, fetch_options options,
                                         send_function send) = 0;

 protected:
  ~instrumentation() = default;
};

/// Installs `i` (null removes it) and returns the previous one. `i` must
/// outlive every server started and every fetch made while it is installed:
/// a static object. Thread-safe; a relaxed load per fetch and per listen().
instrumentation* set_instrumentation(instrumentation* i) noexcept;

}  // namespace tether::http
