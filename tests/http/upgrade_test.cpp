// CONNECT and Upgrade (Node's 'connect' and 'upgrade' events): the handler
// gets the request, the raw socket (same TCPWRAP) and the bytes the client
// sent past the head; earlier pipelined responses go out first; without a
// handler, Upgrade is an ordinary request and CONNECT gets 405.
#include <tether/http.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "http/test_support.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using tether::trigger_async_id;
using namespace std::chrono_literals;
namespace http = tether::http;
namespace net = tether::net;

class HttpUpgrade : public tether::test::http_fixture {};

/// Reads from `s` until `all` holds at least `n` bytes (or the end).
promise<> read_at_least(net::socket& s, std::string& all, std::size_t n) {
  while (all.size() < n) {
    std::string chunk = co_await s.read();
    if (chunk.empty()) {
      co_return;
    }
    all += chunk;
  }
}

/// An upgrade handler that answers 101, then echoes the bytes past the head
/// and everything it reads until the client's end.
struct echo_upgrade {
  std::vector<std::string>& seen;
  promise<void> operator()(http::request& req, net::socket s, std::string rest) const {
    seen.push_back(std::string(req.method()) + ' ' + std::string(req.target()) + " upgrade=" +
                   std::string(req.header("upgrade")) + " rest=" + rest);
    co_await s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n" +
                     rest);
    for (;;) {
      std::string chunk = co_await s.read();
      if (chunk.empty()) {
        break;
      }
      co_await s.write(std::move(chunk));
    }
    co_await s.end();
  }
};

constexpr std::string_view switching =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";

TEST_F(HttpUpgrade, UpgradeHandsOverTheSocketAndTheBytesPastTheHead) {
  std::vector<std::string> seen;
  int requests = 0;
  async_id in_handler = 0;
  async_id handler_trigger = 0;
  async_id socket_id = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) {
    ++requests;
    return res.end("not an upgrade");
  });
  std::size_t connections_in_handler = 99;
  srv.on_upgrade([&](http::request& req, net::socket s, std::string rest) -> promise<> {
    mark("upgrade");
    in_handler = execution_async_id();
    handler_trigger = trigger_async_id();
    socket_id = s.id();
    EXPECT_EQ(req.id(), in_handler);
    connections_in_handler = srv.connections();
    co_await echo_upgrade{seen}(req, std::move(s), std::move(rest));
    mark("handler_done");
  });
  std::string got;
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello");
    co_await read_at_least(c, got, switching.size() + 5);
    co_await c.write(" world");
    co_await read_at_least(c, got, switching.size() + 11);
    co_await c.end();
    co_await read_at_least(c, got, SIZE_MAX);  // the handler's end
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(got, std::string(switching) + "hello world");
  EXPECT_THAT(seen, ElementsAre("GET /chat upgrade=echo rest=hello"));
  EXPECT_EQ(requests, 0);
  EXPECT_EQ(connections_in_handler, 0u);  // the server no longer counts it
  // The handler runs in its HTTPINCOMINGMESSAGE (trigger: the TCPWRAP),
  // inside the socket's read callback; the socket keeps its TCPWRAP; the
  // request is destroyed once the handler's promise settled.
  ASSERT_NE(in_handler, 0u);
  EXPECT_EQ(handler_trigger, socket_id);
  const std::vector<std::string> events = log_of({socket_id, in_handler}, {"upgrade", "handler_done"});
  ASSERT_GE(events.size(), 8u);
  EXPECT_THAT(std::vector<std::string>(events.begin(), events.begin() + 7),
              ElementsAre(init("TCPWRAP", socket_id, srv.id()), before(socket_id),
                          init("HTTPINCOMINGMESSAGE", in_handler, socket_id), before(in_handler),
                          "upgrade", after(in_handler), after(socket_id)));
  const auto at = [&](const std::string& e) { return std::find(events.begin(), events.end(), e); };
  ASSERT_NE(at("handler_done"), events.end());
  EXPECT_LT(at("handler_done"), at(destroy(in_handler)));
  EXPECT_EQ(events.back(), destroy(socket_id));
}

// Bytes past the head beyond the parser's first 1 KiB piece reach the
// handler too, in order.
TEST_F(HttpUpgrade, EveryByteAfterTheHeadReachesTheHandler) {
  std::vector<std::string> seen;
  std::string rest_seen;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) {
    return res.end("no");
  });
  srv.on_upgrade([&](http::request& req, net::socket s, std::string rest) -> promise<> {
    rest_seen = rest;
    co_await echo_upgrade{seen}(req, std::move(s), "");
  });
  std::string payload;
  for (int i = 0; i < 600; ++i) {
    payload += std::to_string(i) + ',';
  }
  std::string got;
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n" + payload);
    co_await c.end();
    co_await read_at_least(c, got, SIZE_MAX);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  ASSERT_GT(payload.size(), 2048u);
  // One write on loopback arrives as one read: all of it is past the head.
  EXPECT_EQ(rest_seen, payload);
}

// A request pipelined before the upgrade is answered first; the handler
// gets the socket only once that response is out.
TEST_F(HttpUpgrade, EarlierPipelinedResponsesGoOutBeforeTheHandOver) {
  std::vector<std::string> seen;
  std::vector<std::string> order;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<> {
    co_await tether::delay(20ms);
    order.push_back("first answered");
    co_await res.end("first");
  });
  async_id handler_trigger = 0;
  async_id socket_id = 0;
  srv.on_upgrade([&](http::request& req, net::socket s, std::string rest) -> promise<> {
    order.push_back("upgrade handler");
    handler_trigger = trigger_async_id();
    socket_id = s.id();
    co_await echo_upgrade{seen}(req, std::move(s), std::move(rest));
  });
  std::string got;
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write(
        "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /up HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nping");
    co_await c.end();
    co_await read_at_least(c, got, SIZE_MAX);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_THAT(order, ElementsAre("first answered", "upgrade handler"));
  // Handed over from the first response's end, not from a read: still
  // triggered by the connection's TCPWRAP.
  EXPECT_EQ(handler_trigger, socket_id);
  tether::test::raw_result first;
  tether::test::parse_responses(got.substr(0, got.find("HTTP/1.1 101")), first);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_EQ(first.responses[0].body, "first");
  EXPECT_EQ(got.substr(got.find("HTTP/1.1 101")), std::string(switching) + "ping");
}

// The snippet of docs/http.md ("Upgrade and CONNECT"), as printed there.
TEST_F(HttpUpgrade, DocsSnippetEchoesAfterTheSwitch) {
  http::server srv = http::server::listen("127.0.0.1", 0, [](http::request&, http::response& res) {
    return res.end();
  });
  // --- docs/http.md ---
  srv.on_upgrade([](tether::http::request& req, tether::net::socket s,
                    std::string head) -> tether::promise<> {
    co_await s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " +
                     std::string(req.header("upgrade")) + "\r\nConnection: Upgrade\r\n\r\n");
    co_await s.write(std::move(head));   // echo what came with the request...
    for (std::string in; !(in = co_await s.read()).empty();) {
      co_await s.write(std::move(in));   // ...and everything after it
    }
    co_await s.end();
  });
  // --- end ---
  std::string got;
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nab");
    co_await read_at_least(c, got, switching.size() + 2);
    co_await c.write("cd");
    co_await c.end();
    co_await read_at_least(c, got, SIZE_MAX);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(got, std::string(switching) + "abcd");
}

TEST_F(HttpUpgrade, ConnectHandsOverTheSocket) {
  std::string target;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) {
    return res.end("not CONNECT");
  });
  srv.on_connect([&](http::request& req, net::socket s, std::string rest) -> promise<> {
    target = std::string(req.target());
    co_await s.write("HTTP/1.1 200 Connection Established\r\n\r\ntunnel:" + rest);
    co_await s.end();
  });
  std::string got;
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    co_await read_at_least(c, got, SIZE_MAX);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(target, "example.com:443");
  EXPECT_EQ(got, "HTTP/1.1 200 Connection Established\r\n\r\ntunnel:\x16\x03\x01");
}

// Without handlers: an Upgrade request is an ordinary request (Node with no
// 'upgrade' listener), and CONNECT is refused with 405, never a 2xx with a
// body (RFC 9110 9.3.6: a 2xx to CONNECT means the tunnel is open).
TEST_F(HttpUpgrade, WithoutHandlersUpgradeIsARequestAndConnectGets405) {
  int requests = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) {
    ++requests;
    return res.end("plain");
  });
  tether::test::raw_result upgrade;
  tether::test::raw_result connect;
  auto client = [&]() -> promise<> {
    upgrade = co_await tether::test::raw_exchange(
        srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", 1);
    connect = co_await tether::test::raw_exchange(
        srv.port(), "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1);
    srv.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  ASSERT_EQ(upgrade.responses.size(), 1u);
  EXPECT_EQ(upgrade.responses[0].status, 200);
  EXPECT_EQ(upgrade.responses[0].body, "plain");
  ASSERT_EQ(connect.responses.size(), 1u);
  EXPECT_EQ(connect.responses[0].status, 405);
  EXPECT_EQ(requests, 1);
}

TEST_F(HttpUpgrade, HandlersMustBeCallable) {
  http::server srv = http::server::listen("127.0.0.1", 0, [](http::request&, http::response& res) {
    return res.end();
  });
  EXPECT_THROW(srv.on_upgrade(nullptr), tether::usage_error);
  http::server empty;
  EXPECT_THROW(empty.on_connect([](http::request&, net::socket, std::string) {
    return promise<void>::resolve();
  }), tether::usage_error);
  srv.close();
}

}  // namespace
