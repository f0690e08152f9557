#pragma once
// The HTTP server on tether::net: what http::server, request and response
// stand on.
//
//   server_state  the listener, the handler, the options, the live
//                 connections and the one unref'd interval that enforces
//                 their timeouts. Shared: the handle and every connection.
//   connection    one accepted socket driving a server_connection (the
//                 sans-I/O state machine): reads in the TCPWRAP's scope,
//                 writes what the state machine produces, closes when it
//                 says so. Alive while its socket is open (self_), and while
//                 an exchange refers to it.
//   exchange      one request and its response: the HTTPINCOMINGMESSAGE
//                 resource. Alive until the handler's promise has settled.
//
// Context: an exchange is initialised with trigger = the TCPWRAP and the
// context frame current in the socket's read callbacks (the TCPWRAP's), even
// when it is parsed later from bytes that backpressure held back (then the
// parsing runs inside whatever callback ended an earlier response, and the
// frame is set explicitly), so no store of one request can reach another.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tether/http.hpp>
#include <tether/integration.hpp>
#include <tether/net.hpp>
#include <tether/timers.hpp>

#include "http/instrumentation.hpp"
#include "http/server_connection.hpp"

namespace tether::http::detail {

class connection;

struct server_state : std::enable_shared_from_this<server_state> {
  net::server listener;
  handler on_request;
  server_options options;
  server_limits limits;
  std::vector<connection*> connections;  // each removes itself when it closes
  timeout checker;
  bool closed = false;

  void accept(net::socket s);
  void check_timeouts();
  void remove(connection* c) noexcept;
  void close() noexcept;
};

class exchange final : public resource {
 public:
  exchange(std::shared_ptr<connection> conn, request_id id, message_head&& head, async_id trigger,
           const captured_context& socket_context);
  ~exchange();
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  /// Runs the handler inside this resource's scope; `self` is kept until
  /// its promise has settled.
  static void run(std::shared_ptr<exchange> self, handler& h);

  // From the connection.
  void on_body(std::string_view data) { body_.append(data); }
  void on_end();
  void on_error(int status);
  void on_closed();
  request_id rid() const noexcept { return rid_; }

  // request
  const message_head& head() const noexcept { return head_; }
  promise<std::string> body();
  // response
  int status_code = 200;
  http::headers out_fields;
  bool started() const noexcept { return started_; }
  bool finished() const noexcept { return finished_; }
  promise<void> write(std::string chunk);
  promise<void> end(std::string body);

  request req;
  response res;

 private:
  enum class body_state : std::uint8_t { receiving, complete, failed };

  void settled(std::exception_ptr e) noexcept;
  bool start(std::optional<std::uint64_t> length);

  std::shared_ptr<connection> conn_;
  request_id rid_;
  message_head head_;
  std::string body_;
  std::vector<resolver<std::string>> waiters_;  // body() calls waiting for the end
  body_state body_state_ = body_state::receiving;
  int body_error_ = 0;
  bool started_ = false;
  bool finished_ = false;  // nothing more goes out for this response
  bool ended_ = false;     // the handler called end()
};

class connection final : public server_observer, public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<server_state> server, net::socket sock);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start();
  /// The server's interval: enforces the deadlines.
  void check(std::uint64_t now);
  /// Server close: idle -> close now; busy -> after the in-flight responses.
  void shutdown();
  void close_now() noexcept;
  bool closed() const noexcept { return closed_; }

  // For exchanges: after a response wrote or ended.
  server_connection& core() noexcept { return core_; }
  void after_output();
  /// Resolves when the socket drained, if this request's response is the
  /// one on the wire and the socket is over its high-water mark.
  promise<void> drained(request_id id);
  void forget(exchange* ex) noexcept;

  // server_observer
  void on_request(request_id id, message_head& head) override;
  void on_request_body(request_id id, std::string_view data) override;
  void on_request_end(request_id id) override;
  void on_request_error(request_id id, int status) override;

 private:
  exchange* find(request_id id) const noexcept;
  void read_next();
  void on_read(std::error_code ec, std::string data);
  void after_io();
  void flush();
  void begin_close();
  void update_deadlines(std::uint64_t now);

  std::shared_ptr<server_state> server_;
  net::socket sock_;
  server_connection core_;
  std::shared_ptr<connection> self_;  // while the socket is open
  std::vector<exchange*> live_;       // exchanges alive, by request order
  captured_context context_;  // the TCPWRAP's, from its read callbacks
  std::uint64_t accepted_at_ = 0;
  std::uint64_t head_deadline_ = 0;  // 0: none
  std::uint64_t idle_deadline_ = 0;
  std::uint64_t linger_deadline_ = 0;
  bool fresh_ = true;     // no request yet
  bool reading_ = false;  // a read is outstanding
  bool in_core_ = false;  // inside core_.feed/resume (observer calls may come back)
  bool ending_ = false;   // end() sent: draining until the peer closes
  bool eof_ = false;
  bool closed_ = false;
};

/// The current loop's now(), in ms.
std::uint64_t loop_now();

}  // namespace tether::http::detail
