// net: flowing mode (on_data, pause, resume: Node's 'data' events and
// socket.pause()), and connections left in the kernel's listen backlog
// while nobody accepts.
#include <tether/net.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using namespace std::chrono_literals;
namespace net = tether::net;

class NetFlow : public tether::test::net_fixture {};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  }
  return s;
}

// --- flowing mode ------------------------------------------------------------------

TEST_F(NetFlow, OnDataSeesEveryChunkInTheSocketScopeThenTheEnd) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  std::string received;
  std::vector<std::string> ends;
  async_id peer_id = 0;
  int calls_outside_scope = 0;
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    peer_id = peer.id();
    srv.close();
    peer.on_data([&](std::error_code ec, std::string_view data) {
      if (execution_async_id() != peer_id) {
        ++calls_outside_scope;
      }
      if (data.empty()) {
        ends.push_back(ec ? ec.message() : "end");
        mark("end");
        peer.close();
        return;
      }
      received.append(data);
    });
  });
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("hello ");
    co_await c.write(pattern(200'000));
    co_await c.end();
    std::string rest = co_await c.read();  // the server closes: ""
    EXPECT_EQ(rest, "");
  };
  promise<> done = client();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(received, "hello " + pattern(200'000));
  EXPECT_THAT(ends, ElementsAre("end"));  // once, with no error
  EXPECT_EQ(calls_outside_scope, 0);
  // Each chunk in its own before/after of the TCPWRAP; the end too.
  const std::vector<std::string> events = log_of({peer_id}, {"end"});
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.front(), init("TCPWRAP", peer_id, srv.id()));
  EXPECT_EQ(events.back(), destroy(peer_id));
}

// The peer writes 8 MiB to a paused socket: TCP holds it back (its write
// stays pending, far from all of it read), and after resume() everything
// arrives, in order.
TEST_F(NetFlow, PauseHoldsThePeerBackAndResumeDeliversTheRestInOrder) {
  constexpr std::size_t total = std::size_t{8} * 1024 * 1024;
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  net::socket client;
  std::string received;
  std::size_t received_when_paused = 0;
  bool during_pause = false;
  int chunks_while_paused = 0;
  promise<void> written;
  tether::timeout later;
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
    peer.on_data([&](std::error_code ec, std::string_view data) {
      EXPECT_FALSE(ec);
      if (during_pause) {
        ++chunks_while_paused;
      }
      if (data.empty()) {
        peer.close();
        return;
      }
      received.append(data);
      if (received_when_paused == 0) {
        peer.pause();
        EXPECT_TRUE(peer.is_paused());
        received_when_paused = received.size();
        during_pause = true;
        later = tether::set_timeout(
            [&] {
              during_pause = false;
              EXPECT_TRUE(written.is_pending()) << "8 MiB went out to a paused reader";
              EXPECT_EQ(received.size(), received_when_paused);
              peer.resume();
              peer.resume();  // idempotent
            },
            100ms);
      }
    });
  });
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    ASSERT_FALSE(ec);
    client = std::move(s);
    written = client.write(pattern(total));
    client.end([](std::error_code) {});
  });
  loop().run();
  EXPECT_EQ(chunks_while_paused, 0);
  EXPECT_TRUE(written.is_fulfilled());
  EXPECT_EQ(received.size(), total);
  EXPECT_TRUE(received == pattern(total));
}

TEST_F(NetFlow, OnDataAndReadAreExclusiveAndOnDataNullptrReturnsToRead) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::string first;
  std::string second;
  std::string error;
  auto serve = [&]() -> promise<> {
    net::socket s = co_await srv.accept();
    srv.close();
    auto [got_first, got_first_r] = tether::make_promise<>();
    s.on_data([&, r = std::move(got_first_r)](std::error_code, std::string_view data) mutable {
      first.append(data);
      if (first.size() >= 5) {
        s.on_data(nullptr);  // from inside: back to read(), paused meanwhile
        r.resolve();
      }
    });
    try {
      (void)s.read();
    } catch (const tether::usage_error& e) {
      error = e.what();
    }
    co_await got_first;
    co_await s.write("go");
    second = co_await s.read();
  };
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("first");
    EXPECT_EQ(co_await c.read(), "go");
    co_await c.write("second");
    co_await c.end();
  };
  promise<> server_side = serve();
  promise<> client_side = client();
  loop().run();
  EXPECT_TRUE(server_side.is_fulfilled());
  EXPECT_TRUE(client_side.is_fulfilled());
  EXPECT_EQ(first, "first");
  EXPECT_EQ(second, "second");
  EXPECT_THAT(error, ::testing::HasSubstr("flowing mode"));
}

TEST_F(NetFlow, ClosingInsideOnDataEndsTheCalls) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  int calls = 0;
  net::socket peer;
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
    peer.on_data([&](std::error_code, std::string_view) {
      ++calls;
      peer.close();
    });
  });
  auto client = [&]() -> promise<> {
    net::socket c = co_await net::connect("127.0.0.1", srv.port());
    co_await c.write("one");
    co_await tether::delay(20ms);
    try {
      co_await c.write("two");
      (void)co_await c.read();
    } catch (const tether::uv_error&) {
    }
  };
  promise<> done = client();
  loop().run();
  EXPECT_EQ(calls, 1);
}

// --- the listen backlog ---------------------------------------------------------

// Nobody accepts: the connections complete in the kernel (the clients are
// connected) but none becomes a TCPWRAP here; accept() then takes them one
// by one, in order.
TEST_F(NetFlow, ConnectionsStayInTheKernelBacklogUntilAccepted) {
  constexpr int n = 4;
  net::server srv = net::server::listen("127.0.0.1", 0);
  const async_id sid = srv.id();
  std::vector<net::socket> clients(n);
  int connected = 0;
  for (int i = 0; i < n; ++i) {
    net::connect("127.0.0.1", srv.port(), [&, i](std::error_code ec, net::socket s) {
      EXPECT_FALSE(ec);
      clients[static_cast<std::size_t>(i)] = std::move(s);
      ++connected;
    });
  }
  tether::timeout settle = tether::set_timeout([&] { stop_loop(); }, 50ms);
  loop().run();
  ASSERT_EQ(connected, n);
  auto accepted_here = [&] {
    int count = 0;
    for (const auto& r : rec().records()) {
      if (r.kind == tether::test::event_kind::init && r.type == "TCPWRAP" && r.trigger == sid) {
        ++count;
      }
    }
    return count;
  };
  ASSERT_EQ(accepted_here(), 0) << "connections were accepted into memory with nobody waiting";

  // Each client says which it is; accept() gets them in connection order.
  for (int i = 0; i < n; ++i) {
    clients[static_cast<std::size_t>(i)].write(std::to_string(i), [](std::error_code) {});
  }
  std::vector<std::string> order;
  auto take = [&]() -> promise<> {
    for (int i = 0; i < n; ++i) {
      net::socket s = co_await srv.accept();
      EXPECT_EQ(accepted_here(), i + 1);  // one more taken from the kernel, not all
      order.push_back(co_await s.read());
    }
    srv.close();
    clients.clear();
  };
  promise<> done = take();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_THAT(order, ElementsAre("0", "1", "2", "3"));
}

TEST_F(NetFlow, ClosingTheServerClosesTheConnectionsInItsBacklog) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket client;
  std::string read_result = "pending";
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec);
    client = std::move(s);
    tether::set_timeout([&] { srv.close(); }, 20ms);
    client.read([&](std::error_code e, std::string data) {
      read_result = e ? "error" : (data.empty() ? "end" : data);
    });
  });
  loop().run();
  // The one libuv held is closed with the listener; the client sees it go.
  EXPECT_TRUE(read_result == "end" || read_result == "error") << read_result;
}

}  // namespace
