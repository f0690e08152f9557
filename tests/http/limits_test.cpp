// Server limits with Node 20's meaning: request_timeout (408 for a request
// that does not arrive in time, whatever the response takes),
// max_connections (one more is closed at once), max_requests_per_socket
// (the last response says close), and the options' validation.
#include <tether/http.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "http/test_support.hpp"

namespace {

using ::testing::ElementsAre;
using tether::promise;
using namespace std::chrono_literals;
namespace http = tether::http;
namespace net = tether::net;
using tether::test::raw_exchange;
using tether::test::raw_result;

class HttpLimits : public tether::test::http_fixture {};

TEST_F(HttpLimits, RequestWhoseBodyIsLateGets408) {
  http::server_options o;
  o.headers_timeout = 50ms;
  o.request_timeout = 120ms;
  std::vector<int> body_errors;
  http::server srv = http::server::listen(
      "127.0.0.1", 0,
      [&](http::request& req, http::response& res) -> promise<> {
        try {
          (void)co_await req.body();
        } catch (const http::error& e) {
          body_errors.push_back(e.status());
          throw;
        }
        co_await res.end("never");
      },
      o);
  raw_result got;
  auto client = [&]() -> promise<> {
    // The head is complete at once (so headers_timeout does not apply), the
    // body never: only the request timeout can answer.
    got = co_await raw_exchange(srv.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(got.responses[0].status, 408);
  EXPECT_TRUE(got.closed);
  EXPECT_THAT(body_errors, ElementsAre(408));
}

// Once the request has arrived, its response may take as long as it needs.
TEST_F(HttpLimits, RequestTimeoutDoesNotLimitTheResponse) {
  http::server_options o;
  o.headers_timeout = 40ms;
  o.request_timeout = 60ms;
  http::server srv = http::server::listen(
      "127.0.0.1", 0,
      [&](http::request&, http::response& res) -> promise<> {
        co_await tether::delay(200ms);
        co_await res.end("slow but fine");
      },
      o);
  http::client_response got;
  auto client = [&]() -> promise<> {
    got = co_await http::fetch("GET", "127.0.0.1:" + std::to_string(srv.port()) + "/");
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "slow but fine");
}

// Node's server.maxConnections: the third connection is closed as soon as
// it is accepted; the first two are served; once one goes, a new one is.
TEST_F(HttpLimits, ConnectionsOverMaxConnectionsAreClosedAtOnce) {
  http::server_options o;
  o.max_connections = 2;
  http::server srv = http::server::listen(
      "127.0.0.1", 0, [&](http::request&, http::response& res) { return res.end("ok"); }, o);
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  raw_result third;
  raw_result first;
  raw_result fourth;
  std::size_t open_with_three = 0;
  auto client = [&]() -> promise<> {
    net::socket a = co_await net::connect("127.0.0.1", srv.port());
    net::socket b = co_await net::connect("127.0.0.1", srv.port());
    co_await tether::delay(20ms);  // both accepted
    {
      net::socket c = co_await net::connect("127.0.0.1", srv.port());
      try {
        third.closed = (co_await c.read()).empty();  // the server's FIN
      } catch (const tether::uv_error&) {
        third.closed = true;  // or its reset
      }
      open_with_three = srv.connections();
    }
    // The first two still work.
    co_await a.write(get);
    std::string answer = co_await a.read();
    tether::test::parse_responses(answer, first);
    a.close();
    b.close();
    co_await tether::delay(20ms);
    fourth = co_await raw_exchange(srv.port(), get, 1);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_TRUE(third.closed);
  EXPECT_TRUE(third.responses.empty());
  EXPECT_EQ(open_with_three, 2u);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_EQ(first.responses[0].body, "ok");
  ASSERT_EQ(fourth.responses.size(), 1u);
  EXPECT_EQ(fourth.responses[0].body, "ok");
}

// Node's maxRequestsPerSocket: the response that reaches the limit says
// "Connection: close", and nothing after it is read (Node answers those
// 503: docs/semantics.md D30).
TEST_F(HttpLimits, MaxRequestsPerSocketClosesAfterTheLast) {
  http::server_options o;
  o.max_requests_per_socket = 2;
  o.keep_alive_timeout = 200ms;  // a server that ignores the limit closes soon anyway
  int handled = 0;
  http::server srv = http::server::listen(
      "127.0.0.1", 0,
      [&](http::request&, http::response& res) {
        ++handled;
        return res.end("ok");
      },
      o);
  raw_result got;
  auto client = [&]() -> promise<> {
    got = co_await raw_exchange(srv.port(),
                                "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(handled, 2);
  ASSERT_EQ(got.responses.size(), 2u);
  EXPECT_EQ(got.responses[0].status, 200);
  EXPECT_EQ(got.responses[0].fields.get("connection"), "keep-alive");
  EXPECT_EQ(got.responses[1].status, 200);
  EXPECT_EQ(got.responses[1].fields.get("connection"), "close");
  EXPECT_TRUE(got.closed);
}

TEST_F(HttpLimits, OptionsAreValidated) {
  auto listen_with = [](http::server_options o) {
    return http::server::listen(
        "127.0.0.1", 0, [](http::request&, http::response& res) { return res.end(); }, o);
  };
  http::server_options shorter;
  shorter.request_timeout = 1s;
  shorter.headers_timeout = 2s;
  EXPECT_THROW(listen_with(shorter), tether::usage_error);
  http::server_options no_mark;
  no_mark.high_water_mark = 0;
  EXPECT_THROW(listen_with(no_mark), tether::usage_error);
  http::server_options none;
  none.request_timeout = 0ms;  // no request timeout: allowed
  http::server ok = listen_with(none);
  EXPECT_TRUE(ok.valid());
  ok.close();
  http::server_options defaults;
  EXPECT_EQ(defaults.request_timeout, 300'000ms);  // Node 20's requestTimeout
  EXPECT_EQ(defaults.high_water_mark, 16u * 1024);
  EXPECT_EQ(defaults.max_requests_per_socket, 0u);
  EXPECT_EQ(defaults.max_connections, 0u);
}

}  // namespace
