#pragma once
// The HTTP server on tether::net: what http::server, request and response
// stand on.
//
//   server_state  the listener, the handlers, the options, the live
//                 connections and the one unref'd interval that enforces
//                 their timeouts. Shared: the handle and every connection.
//   connection    one accepted socket driving a server_connection (the
//                 sans-I/O state machine): reads in the TCPWRAP's scope
//                 (flowing mode: views of the loop's read buffer, no copy),
//                 writes what the state machine produces, closes when it
//                 says so, or hands the socket to an upgrade/CONNECT
//                 handler. Alive while its socket is open (self_), and
//                 while an exchange refers to it.
//   exchange      one request and its response: the HTTPINCOMINGMESSAGE
//                 resource. Alive until the handler's promise has settled
//                 (a raw reaction on that promise: no PROMISE of its own).
//
// Memory per connection is bounded whatever the client does (docs/http.md,
// "Backpressure"): reading stops while the output it holds (responses
// waiting behind an earlier one + the socket's unsent writes) is at the
// high-water mark, received bytes go to the parser a piece at a time so
// that it stops soon after, a response's write() resolves only once it is
// the one on the wire and the socket is below the mark, and everything is
// released when the connection closes.
//
// Context: an exchange is initialised with trigger = the TCPWRAP and the
// context frame current in the socket's read callbacks (the TCPWRAP's), even
// when it is parsed later from bytes that backpressure held back (then the
// parsing runs inside whatever callback relieved it, and the frame is set
// explicitly), so no store of one request can reach another.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tether/http.hpp>
#include <tether/integration.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "http/instrumentation.hpp"
#include "http/server_connection.hpp"

namespace tether::http::detail {

class connection;

struct server_state : std::enable_shared_from_this<server_state> {
  net::server listener;
  handler on_request;
  upgrade_handler on_upgrade;  // empty: Upgrade requests go to on_request
  upgrade_handler on_connect;  // empty: CONNECT is answered 405
  server_options options;
  server_limits limits;
  std::vector<connection*> connections;  // each removes itself when it closes
  timeout checker;
  bool closed = false;

  void accept(net::socket s);
  void check_timeouts();
  void remove(connection* c) noexcept;
  void close() noexcept;
  std::size_t buffered_bytes() const noexcept;
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
  /// The same for a CONNECT / Upgrade handler, which gets the socket.
  static void run_upgrade(std::shared_ptr<exchange> self, upgrade_handler& h, net::socket s,
                          std::string rest);

  // From the connection.
  void on_body(std::string_view data) { body_.append(data); }
  void on_end();
  void on_error(int status);
  void on_closed();
  request_id rid() const noexcept { return rid_; }
  /// write() promises waiting for their turn (connection::write_ready).
  bool waiting_to_write() const noexcept { return !write_waiters_.empty(); }
  void add_write_waiter(resolver<void> r) { write_waiters_.push_back(std::move(r)); }
  /// Resolves them; returns how many there were.
  std::size_t release_writes() noexcept;

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

  /// The reaction that waits for the handler's promise (embedded: no
  /// allocation, no PROMISE resource of its own).
  struct handler_wait : ::tether::detail::reaction {
    exchange* owner = nullptr;
  };

  template <class Call>
  static void start_handler(std::shared_ptr<exchange> self, Call&& call);
  void wait_for(promise<void> p, std::shared_ptr<exchange> self) noexcept;
  static void handler_settled(::tether::detail::reaction& r,
                              ::tether::detail::promise_base& source) noexcept;
  static void handler_dead(::tether::detail::reaction& r) noexcept;
  static void handler_job(::tether::detail::reaction& r) noexcept;
  static void handler_job_dropped(::tether::detail::reaction& r) noexcept;
  static const ::tether::detail::reaction_ops handler_ops;

  void settled(std::exception_ptr e) noexcept;
  bool start(std::optional<std::uint64_t> length);

  std::shared_ptr<connection> conn_;
  request_id rid_;
  message_head head_;
  std::string body_;
  std::vector<resolver<std::string>> waiters_;  // body() calls waiting for the end
  std::vector<resolver<void>> write_waiters_;   // write() calls waiting for their turn
  handler_wait wait_;
  promise<void> handler_promise_;  // what wait_ is attached to
  std::shared_ptr<exchange> keep_;  // this, until the handler's promise settled
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
  /// Closed, or handed over to an upgrade/CONNECT handler: responses are
  /// dropped from now on.
  bool closed() const noexcept { return closed_; }
  /// Memory held for this connection: output not yet written to the kernel
  /// (responses waiting in order, the socket's queue) and input not yet parsed.
  std::size_t buffered_bytes() const noexcept;

  // For exchanges: after a response wrote or ended.
  server_connection& core() noexcept { return *core_; }
  void after_output();
  /// Resolves when `ex` may write more: its response is the one on the wire
  /// and the socket is below the high-water mark (at once if so already, or
  /// if the connection is gone or the response can take no more).
  promise<void> write_ready(exchange& ex);
  void forget(exchange* ex) noexcept;

  // server_observer
  void on_request(request_id id, message_head& head) override;
  void on_request_body(request_id id, std::string_view data) override;
  void on_request_end(request_id id) override;
  void on_request_error(request_id id, int status) override;
  void on_upgrade(request_id id, message_head& head, std::string_view rest) override;

 private:
  struct pending_upgrade {
    request_id id = 0;
    message_head head;
    std::string rest;  // received past the head
  };

  exchange* find(request_id id) const noexcept;
  void on_data(std::error_code ec, std::string_view data);
  /// Gives bytes to the parser a piece at a time while it takes them and the
  /// output allows; returns how many it took (or dropped).
  std::size_t feed(std::string_view data);
  bool can_feed() const noexcept;
  /// The output this connection holds is at the high-water mark.
  bool output_full() const noexcept;
  /// Runs `f(core)` marked as inside the state machine (observer calls may
  /// come back), and lets the state machine go if the connection closed.
  template <class F>
  void in_core(F&& f);
  /// After anything happened: parse what was held back, write, hand over,
  /// close, pause or resume reading, release waiting writes, set deadlines.
  void pump();
  void flush();
  void release_writers() noexcept;
  void update_reading();
  void hand_over();
  void begin_close();
  void release_buffers() noexcept;
  void update_deadlines(std::uint64_t now);

  std::shared_ptr<server_state> server_;
  net::socket sock_;
  std::optional<server_connection> core_;  // reset when the connection closes
  std::shared_ptr<connection> self_;  // while the socket is open
  std::vector<exchange*> live_;       // exchanges alive, by request order
  captured_context context_;  // the TCPWRAP's, from its read callbacks
  std::string unfed_;         // received, not given to the parser yet (backpressure)
  std::size_t unfed_pos_ = 0;
  std::optional<pending_upgrade> upgrade_;  // on_upgrade came: pump() hands the socket over
  std::size_t high_water_mark_;
  std::size_t waiting_writers_ = 0;  // write() promises waiting, over all exchanges
  std::uint64_t accepted_at_ = 0;
  std::uint64_t request_started_ = 0;  // 0: no request arriving
  std::uint64_t head_deadline_ = 0;    // 0: none
  std::uint64_t request_deadline_ = 0;
  std::uint64_t idle_deadline_ = 0;
  std::uint64_t linger_deadline_ = 0;
  bool fresh_ = true;     // no request yet
  bool in_core_ = false;  // inside the state machine (observer calls may come back)
  bool pumping_ = false;
  bool repump_ = false;   // something changed while pumping
  bool stalled_ = false;  // held back by output: a write's completion pumps
  bool ending_ = false;   // end() sent: draining until the peer closes
  bool eof_ = false;      // the peer's FIN arrived
  bool eof_fed_ = false;  // ... and the state machine knows
  bool closed_ = false;
};

/// Connection objects alive on this thread: open, or closed and still
/// referenced by an exchange whose handler runs (tests check that a
/// connection is gone, with everything it held, once its client is).
std::size_t live_connections() noexcept;

/// The current loop's now(), in ms.
std::uint64_t loop_now();

}  // namespace tether::http::detail
