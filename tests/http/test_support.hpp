#pragma once
// What the HTTP tests over real sockets share: a raw TCP client that sends
// bytes and collects parsed responses, and the fixture.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/http.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/uv_error.hpp>

#include "http/message_parser.hpp"
#include "runtime/net_fixture.hpp"

namespace tether::test {

struct raw_response {
  int status = 0;
  http::headers fields;
  std::string body;
};

/// What a raw client saw: the responses, in order, and how it ended.
struct raw_result {
  std::vector<raw_response> responses;
  bool closed = false;      // the server closed (EOF or reset)
  bool malformed = false;   // bytes that are not a response
};

/// Parses responses out of `bytes` (all of them, in order); `eof`: the
/// server closed after them (ends a close-delimited body).
inline void parse_responses(std::string_view bytes, raw_result& out, bool eof = false) {
  http::detail::message_parser p(http::detail::message_kind::response);
  raw_response cur;
  while (!bytes.empty()) {
    const http::detail::parse_step s = p.parse(bytes);
    bytes.remove_prefix(s.consumed);
    switch (s.event) {
      case http::detail::parse_event::need_more:
        bytes = {};
        break;
      case http::detail::parse_event::head:
        cur.status = p.head().status;
        cur.fields = p.head().fields;
        break;
      case http::detail::parse_event::body:
        cur.body.append(s.body);
        break;
      case http::detail::parse_event::end:
        out.responses.push_back(std::move(cur));
        cur = {};
        break;
      case http::detail::parse_event::error:
        out.malformed = true;
        return;
    }
  }
  if (eof && p.finish().event == http::detail::parse_event::end) {
    out.responses.push_back(std::move(cur));
  }
}

/// Connects to 127.0.0.1:port, sends `bytes`, and reads until the server
/// closes or `want` responses arrived; then closes.
inline promise<raw_result> raw_exchange(std::uint16_t port, std::string bytes,
                                        std::size_t want = SIZE_MAX) {
  net::socket s = co_await net::connect("127.0.0.1", port);
  co_await s.write(std::move(bytes));
  std::string all;
  raw_result out;
  for (;;) {
    std::string chunk;
    try {
      chunk = co_await s.read();
    } catch (const uv_error&) {
      out.closed = true;  // ECONNRESET: closed too
      break;
    }
    if (chunk.empty()) {
      out.closed = true;
      break;
    }
    all += chunk;
    raw_result partial;
    parse_responses(all, partial);
    if (partial.responses.size() >= want) {
      break;
    }
  }
  parse_responses(all, out, out.closed);
  s.close();
  co_return out;
}

/// The most memory a server's connections held (server::buffered_bytes())
/// at the end of any callback while it is alive: an async hook's `after`
/// samples it, so no moment between two callbacks is missed. Holds a
/// pointer to the server: destroy it first.
class buffered_peak {
 public:
  explicit buffered_peak(const http::server& s)
      : server_(&s), hook_(create_hook({.after = [this](async_id) { sample(); }})) {
    hook_.enable();
  }
  buffered_peak(const buffered_peak&) = delete;
  buffered_peak& operator=(const buffered_peak&) = delete;

  std::size_t peak() const noexcept { return peak_; }
  /// Starts over (after a warm-up, say).
  void reset() noexcept { peak_ = 0; }

 private:
  void sample() noexcept { peak_ = std::max(peak_, server_->buffered_bytes()); }

  const http::server* server_;
  std::size_t peak_ = 0;
  async_hook hook_;
};

class http_fixture : public net_fixture {
 public:
  /// Runs the loop, stopping it after `limit` if it has not ended by then,
  /// so that a bug that leaves a client waiting fails the test instead of
  /// hanging it. True if the loop ended by itself.
  bool run_for(std::chrono::milliseconds limit) {
    bool expired = false;
    timeout guard = set_timeout(
        [&] {
          expired = true;
          stop_loop();
        },
        limit);
    guard.unref();
    loop().run();
    clear_timeout(guard);
    return !expired;
  }

 protected:

  /// Ends the loop's run() when `p` settles (the server would keep it
  /// going), rethrowing a rejection as a test failure.
  template <class T>
  void run_until(const promise<T>& p) {
    auto stop = [this] { stop_loop(); };
    auto failed = [this](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "rejected: " << ex.what();
      }
      stop_loop();
    };
    if constexpr (std::is_void_v<T>) {
      (void)p.then(stop, failed);
    } else {
      (void)p.then([stop](const T&) { stop(); }, failed);
    }
    loop().run();
  }
};

}  // namespace tether::test
