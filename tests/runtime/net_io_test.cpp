// net: reading and writing in detail: backpressure both ways, half-close,
// idle timeouts, and every failure path (reset, EPIPE, misuse, close with
// operations pending). Node: parallel/test-net-*.js (write-after-end,
// socket-timeout, throttle, reset), async-hooks/test-writewrap.js.
#include <tether/net.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
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
using ::testing::HasSubstr;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using namespace std::chrono_literals;
namespace net = tether::net;

class NetIo : public tether::test::net_fixture {};

using tether::test::raw_client;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  }
  return s;
}

// --- backpressure --------------------------------------------------------------

// 8 MiB written to a peer that does not read: Linux's send buffer tops out
// at 4 MiB (tcp_wmem) and a receive window that never sees a read does not
// grow, so the write cannot finish until the peer reads.
TEST_F(NetIo, WriteToAPeerThatDoesNotReadNeedsDrainUntilItReads) {
  constexpr std::size_t total = std::size_t{8} * 1024 * 1024;
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;  // accepted, not reading yet
  net::socket client;
  std::string received;
  std::size_t biggest_chunk = 0;
  std::vector<std::string> order;
  promise<void> written;
  promise<void> drained;

  auto read_all = [&]() -> promise<void> {
    for (;;) {
      std::string chunk = co_await peer.read();
      if (chunk.empty()) {
        co_return;
      }
      biggest_chunk = std::max(biggest_chunk, chunk.size());
      received += chunk;
    }
  };
  promise<void> reader;
  tether::timeout later;

  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
  });
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    ASSERT_FALSE(ec);
    client = std::move(s);
    EXPECT_FALSE(client.needs_drain());
    written = client.write(pattern(total));
    // The kernel took what fits in its buffers at once (uv_try_write); the
    // rest waits in a WRITEWRAP.
    EXPECT_GT(client.buffered_amount(), 0U);
    EXPECT_LT(client.buffered_amount(), total);
    EXPECT_TRUE(client.needs_drain());
    drained = client.drained();
    written.then([&] { order.push_back("written"); });
    drained.then([&] {
      order.push_back("drained");
      EXPECT_FALSE(client.needs_drain());
    });
    later = tether::set_timeout(
        [&] {
          EXPECT_TRUE(written.is_pending()) << "8 MiB went out with nobody reading";
          EXPECT_TRUE(drained.is_pending());
          EXPECT_GT(client.buffered_amount(), 0U);
          order.push_back("peer reads");
          reader = read_all();
          client.end([](std::error_code e) { EXPECT_FALSE(e); });
        },
        100ms);
  });
  loop().run();
  EXPECT_THAT(order, ElementsAre("peer reads", "written", "drained"));
  EXPECT_EQ(client.buffered_amount(), 0U);
  EXPECT_EQ(received.size(), total);
  EXPECT_TRUE(received == pattern(total));
  EXPECT_LE(biggest_chunk, 64U * 1024);
  EXPECT_TRUE(reader.is_fulfilled());
}

TEST_F(NetIo, DrainedResolvesAtOnceBelowTheHighWaterMark) {
  constexpr std::size_t big = std::size_t{8} * 1024 * 1024;  // more than the kernel takes
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  auto [accepted, accept] = tether::make_promise<>();
  srv.on_connection([&, accept = std::move(accept)](net::socket s) mutable {
    peer = std::move(s);
    srv.close();
    accept.resolve();
  });
  auto read_all = [&]() -> promise<void> {
    while (!(co_await peer.read()).empty()) {
    }
  };
  promise<void> reader;
  auto client = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port(), {.high_water_mark = 10});
    EXPECT_EQ(s.high_water_mark(), 10U);
    promise<void> w = s.write("12345");
    EXPECT_TRUE(w.is_fulfilled());  // taken at once: nothing buffered
    EXPECT_EQ(s.buffered_amount(), 0U);
    EXPECT_FALSE(s.needs_drain());
    promise<void> d = s.drained();
    EXPECT_TRUE(d.is_fulfilled());
    promise<void> w2 = s.write(std::string(big, 'b'));  // the peer does not read yet
    EXPECT_TRUE(w2.is_pending());
    EXPECT_TRUE(s.needs_drain());
    promise<void> d2 = s.drained();
    EXPECT_TRUE(d2.is_pending());
    co_await accepted;
    reader = read_all();
    co_await d2;
    EXPECT_LT(s.buffered_amount(), 10U);
    co_await w;
    co_await w2;
    co_await s.end();
  };
  promise<void> done = client();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_TRUE(reader.is_fulfilled());
}

// Data that arrives while nobody reads waits (reading is paused), and comes
// out in order, in chunks of at most 64 KiB.
TEST_F(NetIo, ReadsDeliverEverythingInOrderInBoundedChunks) {
  constexpr std::size_t total = std::size_t{1} * 1024 * 1024;
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::string got;
  std::size_t chunks = 0;
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    srv.close();
    co_await tether::delay(20ms);  // let data pile up unread
    for (;;) {
      std::string c = co_await s.read();
      if (c.empty()) {
        break;
      }
      EXPECT_LE(c.size(), 64U * 1024);
      ++chunks;
      got += c;
    }
  };
  auto send = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    co_await s.write(pattern(total));
    co_await s.end();
  };
  promise<void> a = serve();
  promise<void> b = send();
  loop().run();
  EXPECT_TRUE(a.is_fulfilled());
  EXPECT_TRUE(b.is_fulfilled());
  EXPECT_EQ(got.size(), total);
  EXPECT_TRUE(got == pattern(total));
  EXPECT_GE(chunks, total / (64 * 1024));
}

// --- end of stream and half-close ------------------------------------------------

TEST_F(NetIo, ReadAfterEndOfStreamKeepsReturningEmpty) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::vector<std::string> reads;
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    srv.close();
    for (int i = 0; i < 3; ++i) {
      std::string r = co_await s.read();
      reads.push_back(std::move(r));
    }
  };
  auto send = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    co_await s.write("abc");
    co_await s.end();
    const std::string rest = co_await s.read();  // (g++ 12: no co_await inside EXPECT_*)
    EXPECT_EQ(rest, "");  // the server closed without writing
  };
  promise<void> a = serve();
  promise<void> b = send();
  loop().run();
  EXPECT_TRUE(a.is_fulfilled());
  EXPECT_TRUE(b.is_fulfilled());
  EXPECT_THAT(reads, ElementsAre("abc", "", ""));
}

TEST_F(NetIo, WriteAfterEndIsAUsageError) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  srv.on_connection([&](net::socket) { srv.close(); });
  std::string message;
  auto client = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    promise<void> e = s.end();
    try {
      (void)s.write("late");
    } catch (const tether::usage_error& err) {
      message = err.what();
    }
    EXPECT_THROW((void)s.end(), tether::usage_error);
    co_await e;
  };
  promise<void> done = client();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_THAT(message, HasSubstr("write() called after end()"));
}

TEST_F(NetIo, ASecondConcurrentReadIsAUsageError) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket conn;
  srv.on_connection([&](net::socket s) {
    conn = std::move(s);
    srv.close();
    conn.read([](std::error_code, std::string) {});
    EXPECT_THROW(conn.read([](std::error_code, std::string) {}), tether::usage_error);
    EXPECT_THROW((void)conn.read(), tether::usage_error);
    conn.close();
  });
  net::connect("127.0.0.1", srv.port(), [](std::error_code, net::socket) {});
  loop().run();
}

// --- failures -----------------------------------------------------------------

TEST_F(NetIo, PeerResetFailsThePendingRead) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::optional<raw_client> peer;
  std::error_code code;
  std::string what;
  std::string first;
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    srv.close();
    first = co_await s.read();
    peer->reset();  // RST while the next read waits
    try {
      (void)co_await s.read();
      ADD_FAILURE() << "read after a reset succeeded";
    } catch (const tether::uv_error& e) {
      code = e.code();
      what = e.what();
      EXPECT_EQ(e.syscall(), "read");
    }
  };
  promise<void> done = serve();
  peer.emplace(srv.port());
  peer->send("before the reset");
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(first, "before the reset");
  EXPECT_EQ(code, std::errc::connection_reset);
  EXPECT_THAT(what, HasSubstr("read '127.0.0.1:"));
}

TEST_F(NetIo, WritingToAClosedPeerFailsWithEpipeOrReset) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::error_code code;
  int writes = 0;
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    srv.close();
    s.close();
  };
  auto client = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    const std::string rest = co_await s.read();
    EXPECT_EQ(rest, "");  // the peer is gone
    // The first writes may still be accepted by the kernel; the peer
    // answers them with RST, after which writing fails.
    for (; writes < 10000; ++writes) {
      try {
        std::string kib(1024, 'x');
        co_await s.write(std::move(kib));
      } catch (const tether::uv_error& e) {
        code = e.code();
        EXPECT_EQ(e.syscall(), "write");
        co_return;
      }
    }
  };
  promise<void> a = serve();
  promise<void> b = client();
  loop().run();
  EXPECT_TRUE(b.is_fulfilled());
  EXPECT_TRUE(code == std::errc::broken_pipe || code == std::errc::connection_reset)
      << code.message();
}

// The first attempt of a write (uv_try_write) fails on a reset connection:
// as in Node, no WRITEWRAP; the callback gets the error from a TickObject.
TEST_F(NetIo, AWriteWhoseFirstAttemptFailsReportsItFromATickObject) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  raw_client peer(srv.port());
  net::socket conn;
  std::error_code code;
  async_id in_cb = 0;
  srv.on_connection([&](net::socket s) {
    conn = std::move(s);
    srv.close();
    peer.reset();
    // Wait until the RST has reached the socket (an event wait; the 10 s
    // only keep a broken test from hanging).
    uv_os_fd_t fd = -1;
    ASSERT_EQ(uv_fileno(reinterpret_cast<const uv_handle_t*>(conn.native_handle()), &fd), 0);
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10'000), 1);
    conn.write("x", [&](std::error_code ec) {
      code = ec;
      in_cb = execution_async_id();
      conn.close();
    });
    EXPECT_EQ(conn.buffered_amount(), 0U);
  });
  loop().run();
  EXPECT_TRUE(code == std::errc::broken_pipe || code == std::errc::connection_reset)
      << code.message();
  EXPECT_EQ(in_cb, last_id("TickObject"));
  EXPECT_THAT(rec().activities_of_type("WRITEWRAP"), ::testing::IsEmpty());
}

TEST_F(NetIo, CloseFailsPendingOperationsWithEcanceled) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
  });
  std::vector<std::string> outcomes;
  auto record = [&](std::string what, const promise<void>& p) -> promise<void> {
    try {
      co_await p;
      outcomes.push_back(what + " ok");
    } catch (const tether::uv_error& e) {
      outcomes.push_back(what + " " + tether::uv_error_name(e.code()));
    }
  };
  std::vector<promise<void>> watchers;
  net::socket client;
  net::connect("127.0.0.1", srv.port(), {.high_water_mark = 1},
               [&](std::error_code ec, net::socket s) {
                 ASSERT_FALSE(ec);
                 client = std::move(s);
                 promise<void> r = client.read().then([](std::string) {});
                 // More than the kernel takes from a peer that does not read
                 // (tcp_wmem tops out at 4 MiB): still pending at close().
                 promise<void> w = client.write(std::string(std::size_t{16} << 20, 'x'));
                 promise<void> d = client.drained();
                 client.close();
                 EXPECT_FALSE(client.is_open());
                 promise<void> after = client.read().then([](std::string) {});
                 watchers.push_back(record("read", r));
                 watchers.push_back(record("drained", d));
                 watchers.push_back(record("read-after-close", after));
                 watchers.push_back(record("write", w));
                 peer.close();
               });
  loop().run();
  EXPECT_THAT(outcomes, ::testing::UnorderedElementsAre("read ECANCELED", "drained ECANCELED",
                                                        "read-after-close ECANCELED",
                                                        "write ECANCELED"));
}

// --- timeouts ------------------------------------------------------------------

TEST_F(NetIo, IdleTimeoutFiresInAnUnrefTimeoutOncePerIdlePeriod) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket conn;
  int fired = 0;
  async_id scope = 0;
  srv.on_connection([&](net::socket s) {
    conn = std::move(s);
    srv.close();
    conn.read([](std::error_code, std::string) {});  // keeps the loop alive
    conn.set_timeout(10ms, [&] {
      ++fired;
      scope = execution_async_id();
      conn.close();
    });
  });
  net::socket client;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code, net::socket s) {
    client = std::move(s);
    client.read([&](std::error_code, std::string) { client.close(); });
  });
  loop().run();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(scope, last_id("Timeout"));
  EXPECT_EQ(rec().activities_of_type("Timeout").size(), 1U);
}

}  // namespace
