// Memory per connection stays bounded whatever the client does, measured as
// the bytes the server's connections hold (server::buffered_bytes(),
// sampled after every callback), not RSS: a pipelining client that never
// reads, a slow reader of large answers, a chunk-extension flood and a
// trailer flood, each while a second connection is served normally; and
// what the connection held is released when the client goes.
#include <tether/http.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "http/server_impl.hpp"
#include "http/test_support.hpp"

namespace {

using ::testing::ElementsAre;
using tether::promise;
using namespace std::chrono_literals;
namespace http = tether::http;
namespace net = tether::net;
using tether::test::buffered_peak;
using tether::test::raw_result;

constexpr std::size_t KiB = 1024;

/// Resolves once `cond()` holds, checking every 5 ms; gives up after `limit`
/// (the caller's assertions then fail).
promise<> wait_until(std::function<bool()> cond, std::chrono::milliseconds limit = 5s) {
  for (auto waited = 0ms; !cond() && waited < limit; waited += 5ms) {
    co_await tether::delay(5ms);
  }
}

/// Resolves once `count()` has not changed for 150 ms: the server stopped
/// taking more from a client that does not read.
promise<> until_stalled(std::function<std::size_t()> count) {
  std::size_t last = count();
  int quiet = 0;
  for (int i = 0; i < 400 && quiet < 30; ++i) {
    co_await tether::delay(5ms);
    const std::size_t now = count();
    quiet = now == last ? quiet + 1 : 0;
    last = now;
  }
}

class HttpBackpressure : public tether::test::http_fixture {
 protected:
  std::string url(const http::server& s, std::string_view path = "/") const {
    return "127.0.0.1:" + std::to_string(s.port()) + std::string(path);
  }
};

// --- write() waits for its turn -------------------------------------------------

// Two pipelined requests: the second handler writes at once, but its
// response waits behind the first one, so its write() resolves only when
// the first response has ended (Node: write() false until 'drain').
TEST_F(HttpBackpressure, WriteBehindAnEarlierResponseWaitsForItsTurn) {
  auto [gate, open_gate] = tether::make_promise<>();
  std::vector<std::string> order;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    if (req.path() == "/1") {
      co_await gate;
      order.push_back("first ends");
      co_await res.end("one");
      co_return;
    }
    co_await res.write("tw");
    order.push_back("second's write resolved");
    co_await res.end("o");
  });
  raw_result got;
  auto client = [&]() -> promise<> {
    auto answers = tether::test::raw_exchange(srv.port(),
                                              "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                              "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
                                              2);
    co_await tether::delay(20ms);
    order.push_back("opening the gate");
    open_gate.resolve();
    got = co_await answers;
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_THAT(order, ElementsAre("opening the gate", "first ends", "second's write resolved"));
  ASSERT_EQ(got.responses.size(), 2u);
  EXPECT_EQ(got.responses[0].body, "one");
  EXPECT_EQ(got.responses[1].body, "two");
}

// --- attacks ---------------------------------------------------------------------

// 20,000 pipelined GETs (20 MiB of 1 KiB answers) from a client that never
// reads: once the kernel's buffers are full the server stops reading it.
// Bound: the high-water mark (16 KiB) + one read held back unparsed
// (64 KiB) + the answers to one 1 KiB piece of requests (about 40).
TEST_F(HttpBackpressure, PipeliningClientThatNeverReadsIsHeldAtTheHighWaterMark) {
  constexpr std::size_t requests = 20'000;
  constexpr std::size_t bound = 16 * KiB + 64 * KiB + 40 * (KiB + 128);
  const std::string answer(KiB, 'a');
  std::size_t handled = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) {
    ++handled;
    return res.end(answer);
  });
  buffered_peak peak(srv);
  std::size_t handled_when_stalled = 0;
  std::size_t held_when_stalled = 0;
  std::size_t held_after_close = 1;
  std::size_t alive_after_close = 1;
  http::client_response other;
  auto attack = [&]() -> promise<> {
    std::string flood;
    for (std::size_t i = 0; i < requests; ++i) {
      flood += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    s.write(std::move(flood), [](std::error_code) {});  // cannot complete: nobody reads
    co_await until_stalled([&] { return handled; });
    handled_when_stalled = handled;
    held_when_stalled = srv.buffered_bytes();
    other = co_await http::fetch("GET", url(srv));  // meanwhile, another client
    s.close();                                      // the attacker goes
    co_await wait_until([&] { return http::detail::live_connections() == 0; });
    held_after_close = srv.buffered_bytes();
    alive_after_close = http::detail::live_connections();
    srv.close();
  };
  auto done = attack();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_GT(handled_when_stalled, 100u);  // it did answer until the client stopped reading
  EXPECT_LT(handled_when_stalled, requests / 2) << "the server kept reading a client that never reads";
  EXPECT_GT(held_when_stalled, 0u);
  EXPECT_LE(peak.peak(), bound);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, answer);
  EXPECT_EQ(held_after_close, 0u);
  EXPECT_EQ(alive_after_close, 0u);  // the connection and all it held are gone
  std::printf("[ measured ] pipelining non-reader: %zu answered before the stall, peak held %zu bytes "
              "(bound %zu)\n", handled_when_stalled, peak.peak(), bound);
}

// Three pipelined GETs of 8 MiB each, written by handlers that await every
// 64 KiB write, for a client that reads nothing for a while: the first
// response waits for the socket, the other two after their first write
// (not buffered whole, as a write() that resolves at once would let them).
// Bound: the high-water mark + one 64 KiB write per response in flight.
// Then the client reads all of it, whole and in order.
TEST_F(HttpBackpressure, SlowReaderOfLargeAnswersHoldsOneWritePerResponse) {
  constexpr std::size_t piece = 64 * KiB;
  constexpr std::size_t pieces = 128;  // 8 MiB per response
  constexpr std::size_t bound = 16 * KiB + 3 * (piece + 64);
  auto piece_of = [](std::size_t response, std::size_t i) {
    return std::string(piece, static_cast<char>('a' + (response * 7 + i) % 26));
  };
  std::vector<std::size_t> written(4, 0);
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    const std::size_t which = req.path() == "/other" ? 0 : static_cast<std::size_t>(req.path()[1] - '0');
    if (which == 0) {
      co_await res.end("other");
      co_return;
    }
    for (std::size_t i = 0; i < pieces; ++i) {
      co_await res.write(piece_of(which, i));
      ++written[which];
    }
    co_await res.end();
  });
  buffered_peak peak(srv);
  std::vector<std::size_t> written_when_stalled;
  http::client_response other;
  raw_result got;
  std::size_t held_after_close = 1;
  std::size_t alive_after_close = 1;
  auto slow = [&]() -> promise<> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    co_await s.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await until_stalled([&] { return written[1] + written[2] + written[3]; });
    written_when_stalled = written;
    other = co_await http::fetch("GET", url(srv, "/other"));
    // Now read everything.
    std::string all;
    while (got.responses.size() < 3) {
      std::string chunk = co_await s.read();
      if (chunk.empty()) {
        break;
      }
      all += chunk;
      if (all.size() >= 3 * pieces * piece) {
        got = {};
        tether::test::parse_responses(all, got);
      }
    }
    s.close();
    co_await wait_until([&] { return http::detail::live_connections() == 0; });
    held_after_close = srv.buffered_bytes();
    alive_after_close = http::detail::live_connections();
    srv.close();
  };
  auto done = slow();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  ASSERT_EQ(written_when_stalled.size(), 4u);
  EXPECT_LT(written_when_stalled[1], pieces) << "the first response went out to a client that reads nothing";
  EXPECT_LE(written_when_stalled[2], 1u) << "the second response was buffered behind the first";
  EXPECT_LE(written_when_stalled[3], 1u) << "the third response was buffered behind the first";
  EXPECT_LE(peak.peak(), bound);
  EXPECT_EQ(other.body, "other");
  ASSERT_EQ(got.responses.size(), 3u);
  for (std::size_t r = 1; r <= 3; ++r) {
    const std::string& body = got.responses[r - 1].body;
    ASSERT_EQ(body.size(), pieces * piece) << "response " << r;
    for (std::size_t i = 0; i < pieces; ++i) {
      ASSERT_EQ(body.compare(i * piece, piece, piece_of(r, i)), 0) << "response " << r << " piece " << i;
    }
  }
  EXPECT_EQ(held_after_close, 0u);
  EXPECT_EQ(alive_after_close, 0u);
  std::printf("[ measured ] slow reader of 3 x 8 MiB: peak held %zu bytes (bound %zu)\n", peak.peak(),
              bound);
}

// The slow reader goes away while all three handlers wait in write(): the
// waiting writes resolve (what follows is dropped), the handlers finish,
// and the connection is gone with everything it held.
TEST_F(HttpBackpressure, AClientThatGoesMidResponseReleasesTheConnection) {
  constexpr std::size_t pieces = 128;
  int finished = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<> {
    for (std::size_t i = 0; i < pieces; ++i) {
      co_await res.write(std::string(64 * KiB, 'x'));
    }
    co_await res.end();
    ++finished;
  });
  std::size_t held_when_stalled = 0;
  std::size_t alive_after = 1;
  auto slow = [&]() -> promise<> {
    {
      net::socket s = co_await net::connect("127.0.0.1", srv.port());
      co_await s.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
      co_await until_stalled([&] { return srv.buffered_bytes(); });
      held_when_stalled = srv.buffered_bytes();
    }  // closed
    co_await wait_until([&] { return finished == 3 && http::detail::live_connections() == 0; });
    alive_after = http::detail::live_connections();
    srv.close();
  };
  auto done = slow();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_GT(held_when_stalled, 64 * KiB);
  EXPECT_EQ(finished, 3);
  EXPECT_EQ(alive_after, 0u);
  EXPECT_EQ(srv.buffered_bytes(), 0u);
}

/// A flood sent by `next_piece` (empty: done) while reading: what came back
/// and whether the server closed. The writer stops at the first failure
/// (the server reset the connection) or after `max_bytes`.
struct flood_result {
  raw_result answer;
  std::size_t sent = 0;
};

promise<flood_result> flood(std::uint16_t port, std::string head,
                            std::function<std::string()> next_piece, std::size_t max_bytes) {
  net::socket s = co_await net::connect("127.0.0.1", port);
  flood_result out;
  bool closed = false;
  std::string all;
  auto reader = [&]() -> promise<> {
    for (;;) {
      std::string chunk;
      try {
        chunk = co_await s.read();
      } catch (const tether::uv_error&) {
      }
      if (chunk.empty()) {
        break;
      }
      all += chunk;
    }
    closed = true;
  };
  auto reading = reader();
  try {
    co_await s.write(std::move(head));
    while (!closed && out.sent < max_bytes && all.empty()) {
      std::string p = next_piece();
      out.sent += p.size();
      co_await s.write(std::move(p));
    }
  } catch (const tether::uv_error&) {
    // reset by the server: it answered and closed
  }
  // An answer (and the close) comes within a moment, or never.
  for (int i = 0; i < 400 && !closed; ++i) {
    co_await tether::delay(5ms);
  }
  s.close();
  co_await reading;
  tether::test::parse_responses(all, out.answer, closed);
  out.answer.closed = closed;
  co_return out;
}

/// A flood on one connection (`head`, then `next_piece()` until the server
/// answers or 256 KiB went out) against a server whose handler reads the
/// body, with a request on another connection meanwhile: the flood gets
/// `status` and a close, the other request its answer, and the server never
/// holds more than one read (64 KiB) + the high-water mark.
void expect_flood_refused(tether::test::http_fixture& f, const char* what, std::string head,
                          std::function<std::string()> next_piece, int status) {
  constexpr std::size_t bound = 64 * KiB + 16 * KiB;
  http::server srv = http::server::listen("127.0.0.1", 0, [](http::request& req, http::response& res) -> promise<> {
    std::string body;
    try {
      body = co_await req.body();
    } catch (const http::error&) {
    }
    co_await res.end("got " + std::to_string(body.size()));
  });
  buffered_peak peak(srv);
  flood_result got;
  http::client_response other;
  auto run = [&]() -> promise<> {
    auto attack = flood(srv.port(), std::move(head), std::move(next_piece), 256 * KiB);
    other = co_await http::fetch("GET", "127.0.0.1:" + std::to_string(srv.port()) + "/");
    got = co_await attack;
    srv.close();
  };
  auto done = run();
  ASSERT_TRUE(f.run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(other.status, 200);
  EXPECT_LE(peak.peak(), bound);
  ASSERT_EQ(got.answer.responses.size(), 1u) << "no answer after " << got.sent << " bytes";
  EXPECT_EQ(got.answer.responses[0].status, status);
  EXPECT_TRUE(got.answer.closed);
  std::printf("[ measured ] %s: %d (client sent %zu bytes, it stops past 256 KiB), peak held %zu "
              "bytes (bound %zu)\n", what, status, got.sent, peak.peak(), bound);
}

// 1-byte chunks, each with 60 KB of chunk extension: Node 20 answers 413
// once a message's extensions pass 16 KiB. Nothing of the flood is kept.
TEST_F(HttpBackpressure, ChunkExtensionFloodGets413AndHoldsNoMemory) {
  const std::string ext = ";x=" + std::string(60'000, 'e');
  expect_flood_refused(*this, "chunk-extension flood",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                       [&] { return "1" + ext + "\r\na\r\n"; }, 413);
}

// A chunked body whose trailer section never ends: trailers count under
// max_header_size (16 KiB) as headers do, so Node 20 answers 431.
TEST_F(HttpBackpressure, TrailerFloodGets431AndHoldsNoMemory) {
  std::string lines;
  for (int i = 0; i < 100; ++i) {
    lines += "X-Trailer: " + std::string(100, 't') + "\r\n";
  }
  expect_flood_refused(*this, "trailer flood",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n",
                       [&] { return lines; }, 431);
}

}  // namespace
