#pragma once
// The server side of one HTTP/1.1 connection as a state machine, sans I/O:
// bytes in (feed), observer calls out (a request began, body, end, failed),
// responses in (start / write / end per request id), bytes out
// (take_output), and a verdict on when to close (done).
//
// What it decides, like Node's http server:
//  - Pipelining: requests are parsed and announced as they arrive, so their
//    handlers run concurrently, but responses go out in request order. A
//    response written while an earlier one is unfinished is buffered in its
//    slot and released when it reaches the front.
//  - Backpressure: once max_pipelined requests await their responses,
//    parsing stops at the next message boundary and the unparsed bytes wait
//    (wants_read() turns false); resume() continues once responses are done.
//  - Framing of each response: Content-Length when the length is known when
//    it starts, else chunked for HTTP/1.1, else the body runs until the
//    connection closes (HTTP/1.0). HEAD responses and 204/304 carry no body.
//  - Keep-alive: a response keeps the connection when its request allowed
//    it, its framing does, the handler did not set "Connection: close", and
//    nothing failed; otherwise it says "Connection: close" and the
//    connection closes after it (later pipelined requests are dropped).
//    A response that ends before its request's body arrived keeps the
//    connection and the body is read and discarded (Node's req._dump()),
//    unless the client waits for a 100 Continue it never got.
//  - Errors: a parse error answers with its status (400, 413, 417, 431,
//    505) and closes: as a new response after the in-flight ones when it
//    struck between requests, as the failing request's own response when
//    its response had not started (on_request_error tells the owner), or
//    with no response at all once that response has started. The same for
//    a client that half-closes in the middle of a request (400, as Node)
//    and for the timeouts (408).
//  - CONNECT and Upgrade: with a handler (server_limits), the head goes to
//    on_upgrade with the bytes already received past it, once every earlier
//    response is complete, and HTTP ends there. Without one, CONNECT gets
//    405 and the connection closes (a 2xx would mean "tunnel open"), and an
//    Upgrade request is an ordinary request whose response closes (Node 20).
//  - max_requests_per_socket: the Nth request's response says
//    "Connection: close" and nothing after it is read (Node's
//    maxRequestsPerSocket, which answers later pipelined requests 503).
//  - Expect: 100-continue: write_continue() sends the interim response (the
//    owner calls it when the handler first asks for the body).
//
// Re-entrancy: observer calls happen inside feed()/resume(); the observer
// may call start/write/end/write_continue (a handler that responds at once)
// but must not call feed, resume or destroy the connection from them.
// Loop-thread only, like everything on a connection.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <tether/http_headers.hpp>

#include "http/message_parser.hpp"

namespace tether::http::detail {

using request_id = std::uint64_t;

struct server_limits {
  parser_limits parser{16 * 1024, 1024 * 1024, true, 16 * 1024};
  /// Requests parsed and not yet answered before parsing pauses.
  std::size_t max_pipelined = 32;
  /// Announced in "Keep-Alive: timeout=N" on keep-alive responses (Node).
  std::uint32_t keep_alive_timeout_s = 5;
  /// The Date value of responses; tests pin it.
  std::string_view (*date)() = nullptr;  // null: http_date_now
  /// Upgrade requests (Upgrade + Connection: upgrade) go to on_upgrade
  /// (Node's 'upgrade' listener); false: served as ordinary requests.
  bool upgrade_handler = false;
  /// CONNECT requests go to on_upgrade (Node's 'connect' listener); false:
  /// 405 and close.
  bool connect_handler = false;
  /// Requests on one connection; the last one's response closes it. 0: no limit.
  std::size_t max_requests_per_socket = 0;
};

/// How a response starts.
struct response_start {
  int status = 200;
  std::string_view reason;                      // empty: status_text(status)
  const headers* fields = nullptr;              // set by the handler, validated by the caller
  std::optional<std::uint64_t> content_length;  // the whole body's length, when known now
};

class server_observer {
 public:
  /// A request's head is complete: start its handler. `head` may be moved from.
  virtual void on_request(request_id id, message_head& head) = 0;
  /// The next piece of its body (a view valid during the call).
  virtual void on_request_body(request_id id, std::string_view data) = 0;
  /// Its body is complete.
  virtual void on_request_end(request_id id) = 0;
  /// Its body failed: `status` 413 or 400 (also when the client half-closed
  /// mid-body) or 408 (request_timeout()); the connection answered it with
  /// that status, or closes after the response that had started.
  virtual void on_request_error(request_id id, int status) = 0;
  /// A CONNECT (with connect_handler) or Upgrade (with upgrade_handler)
  /// request's head is complete and every earlier response is in
  /// take_output(): HTTP ends here. `rest` holds the bytes received past
  /// the head (a view valid during the call; the tunnel's or the new
  /// protocol's first bytes). Nothing more is parsed or read: from now on
  /// done() is true, and the socket belongs to whoever handles the upgrade
  /// (send take_output() first). `head` may be moved from.
  virtual void on_upgrade(request_id id, message_head& head, std::string_view rest) = 0;

 protected:
  ~server_observer() = default;
};

class server_connection {
 public:
  explicit server_connection(server_observer& observer, server_limits limits = {});
  server_connection(const server_connection&) = delete;
  server_connection& operator=(const server_connection&) = delete;

  /// Bytes received. Ignored once the connection stopped reading.
  void feed(std::string_view data);
  /// The client closed its side (or reset): nothing more will arrive.
  void feed_eof();
  /// Parses what backpressure held back (after responses ended).
  void resume();
  /// The header timeout fired while a head was arriving: 408 and close.
  void headers_timeout();
  /// The request timeout fired while a request (head or body) was arriving:
  /// 408 (as that request's answer when its body was arriving and its
  /// response had not started) and close. Nothing arriving: nothing to do.
  void request_timeout();

  /// Starts the response to `id`; false if it has none to write any more
  /// (the connection failed or is closing, or it was answered already).
  bool start(request_id id, const response_start& r);
  /// Body bytes (framed as start() chose); false as for start().
  bool write(request_id id, std::string_view data);
  /// Ends the response; false as for start().
  bool end(request_id id);
  /// Ends `id`'s response where it stands (no final chunk) and closes the
  /// connection after it: its handler failed mid-response. False as for start().
  bool abort(request_id id);
  /// Reads no new request (the server is closing): the one arriving is
  /// finished, the last response says "Connection: close", then done().
  void shutdown() noexcept;
  /// Sends "100 Continue" for `id` if its client expects one and has not
  /// had it (nor any response) yet.
  void write_continue(request_id id);

  /// True while `id`'s response can still be written.
  bool writable(request_id id) const noexcept;
  bool started(request_id id) const noexcept;
  /// `id`'s response is the one going out now (the others wait in memory).
  bool at_front(request_id id) const noexcept {
    return !slots_.empty() && slots_.front().id == id;
  }

  /// Bytes to send, in order; empties the buffer.
  std::string take_output() noexcept { return std::exchange(output_, std::string()); }
  bool has_output() const noexcept { return !output_.empty(); }
  /// Nothing more will be read or answered: close after sending the output.
  bool done() const noexcept { return stopped_ && slots_.empty() && !upgrade_; }
  /// More bytes are welcome (not stopped, nothing held back).
  bool wants_read() const noexcept { return !stopped_ && backlog_.empty(); }
  /// Parsing waits for responses to end, or an upgrade for the earlier
  /// responses (resume() will make progress).
  bool can_resume() const noexcept {
    return (!stopped_ && !backlog_.empty() && slots_.size() < limits_.max_pipelined) ||
           (upgrade_ && slots_.empty());
  }
  /// A request head is arriving (the header timeout runs).
  bool receiving_head() const noexcept { return parser_.in_head(); }
  /// A request's head or body is arriving (the request timeout runs).
  bool receiving_request() const noexcept { return !stopped_ && parser_.in_message(); }
  /// Nothing in flight, nothing partial (the keep-alive timeout runs).
  bool idle() const noexcept {
    return slots_.empty() && !parser_.in_message() && backlog_.empty() && !stopped_;
  }
  /// Requests announced and not yet answered.
  std::size_t in_flight() const noexcept { return slots_.size(); }
  /// The status of the parse error, if one happened (0 otherwise).
  int error_status() const noexcept { return parser_.error_status(); }
  std::string_view error_reason() const noexcept { return parser_.error_reason(); }
  /// Response bytes held in memory: not taken yet, or waiting behind an
  /// earlier response (what the owner's backpressure counts).
  std::size_t held_output() const noexcept {
    std::size_t n = output_.size();
    for (const slot& s : slots_) {
      n += s.out.size();
    }
    return n;
  }
  /// Received bytes held: not parsed yet (backpressure), or past an
  /// upgrade's head while it waits for the responses before it.
  std::size_t held_input() const noexcept {
    return backlog_.size() + (upgrade_ ? upgrade_->rest.size() : 0);
  }
  /// A CONNECT/Upgrade head waits for the responses before it: feed() keeps
  /// what arrives for on_upgrade's `rest`.
  bool upgrading() const noexcept { return upgrade_.has_value(); }

 private:
  enum class framing : std::uint8_t { none, length, chunked, until_close };

  struct slot {
    request_id id = 0;
    std::string out;  // output held back while an earlier response is unfinished
    std::uint64_t remaining = 0;  // framing::length: bytes still to send
    framing frame = framing::none;
    bool head_request = false;
    bool http10 = false;
    bool keep_alive = false;  // the request allows it
    bool expect_continue = false;
    bool continue_sent = false;
    bool body_complete = false;
    bool started = false;
    bool ended = false;
    bool close_after = false;
  };

  /// A request that ends HTTP on this connection, waiting for the
  /// responses before it.
  struct pending_upgrade {
    request_id id = 0;
    message_head head;
    std::string rest;
  };

  void process(std::string_view data);
  /// `head` is a CONNECT or Upgrade request with a handler: hand over.
  void upgrade(message_head& head, std::string_view rest);
  /// Input failed with `status` (a parse error, a half-close mid-request,
  /// a timeout): answer and close.
  void fail_input(int status);
  void push_error_response(int status);
  slot* find(request_id id) noexcept;
  const slot* find(request_id id) const noexcept;
  /// Where a slot's bytes go: the wire if it is at the front, else held back.
  std::string& sink(slot& s) noexcept { return &s == &slots_.front() ? output_ : s.out; }
  /// Marks `id` ended and releases the finished responses at the front.
  void finish_slot(request_id id);
  void stop() noexcept { stopped_ = true; }

  server_observer& observer_;
  server_limits limits_;
  message_parser parser_;
  std::deque<slot> slots_;
  std::string output_;
  std::string backlog_;  // bytes received and not parsed yet (backpressure)
  request_id next_id_ = 0;
  std::optional<request_id> receiving_;  // the request whose body is arriving
  std::optional<pending_upgrade> upgrade_;
  std::size_t requests_ = 0;             // requests announced (max_requests_per_socket)
  bool stopped_ = false;  // no more parsing: failed, EOF, or a request said close
  bool eof_ = false;      // the client closed while a backlog waited
  bool shutting_down_ = false;
  bool receiving_keeps_alive_ = false;
};

}  // namespace tether::http::detail
