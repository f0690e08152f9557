// net and dns completions that libuv delivers in the loop turn in which a
// callback threw: as fs and queue_work completions (event_loop_test.cpp),
// their callbacks run on the next run() or never, with every resource
// destroyed and every request freed (ASan). Each test makes exactly one kind
// of completion ready inside the throwing timer: TCPCONNECTWRAP,
// WRITEWRAP + SHUTDOWNWRAP, GETADDRINFOREQWRAP.
#include <tether/net.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/dns.hpp>
#include <tether/event_loop.hpp>

#include "runtime/held_back.hpp"
#include "runtime/net_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::test::invocation_counts;
using tether::test::raw_client;
using tether::test::run_error;
namespace net = tether::net;

/// A blocking POSIX listening socket on 127.0.0.1: a connect() to it
/// completes in the kernel (the handshake, from the listen backlog) without
/// any accept, which wait_for_handshake() observes.
class raw_listener {
 public:
  raw_listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  raw_listener(const raw_listener&) = delete;
  raw_listener& operator=(const raw_listener&) = delete;
  ~raw_listener() { ::close(fd_); }

  std::uint16_t port() const noexcept { return port_; }
  /// Blocks until a connection waits in the backlog: its handshake is done,
  /// so the connecting side is writable (its connect completes).
  void wait_for_handshake() const {
    pollfd p{fd_, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10'000), 1) << "the connection was never established";
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

/// More than Linux's send buffer (4 MiB at most) and the receive window of a
/// peer that never reads take: a write of this size stays pending.
constexpr std::size_t too_big_to_take = std::size_t{8} * 1024 * 1024;

class NetHeldBack : public tether::test::net_fixture {
 protected:
  void throw_when_completion_is_ready(
      std::function<void()> release,
      std::function<void()> wait = [] {
        tether::test::wait_for_pending_io(tether::event_loop::current());
      }) {
    tether::test::throw_when_completion_is_ready([this](std::string m) { mark(std::move(m)); },
                                                 std::move(release), std::move(wait));
  }

  /// A server connection with an 8 MiB write pending to a client that does
  /// not read, and end() queued behind it; inside the throwing timer, after
  /// `also()`, the client resets the connection, so that libuv fails the
  /// write and then the shutdown in that turn's poll phase.
  struct pending_write_and_end {
    net::server srv;
    net::socket conn;
    std::optional<raw_client> peer;
    async_id write = 0;
    async_id end = 0;
  };

  void start_pending_write_and_end(pending_write_and_end& p, std::function<void()> also) {
    p.srv = net::server::listen("127.0.0.1", 0);
    p.peer.emplace(p.srv.port());
    p.srv.on_connection([this, &p, also = std::move(also)](net::socket s) mutable {
      p.conn = std::move(s);
      p.srv.close();
      p.conn.write(std::string(too_big_to_take, 'w'), [this](std::error_code ec) {
        mark("write");
        EXPECT_TRUE(ec) << "the peer reset the connection";
      });
      p.write = last_id("WRITEWRAP");
      p.conn.end([this, &p](std::error_code) {
        mark("end");
        p.conn.close();
      });
      p.end = last_id("SHUTDOWNWRAP");
      // libuv watches the socket for the pending write from the next poll
      // phase on: this immediate comes after it (the one the helper sets
      // would not: its timer may fire in the next turn's timers phase).
      tether::set_immediate([this, &p, also = std::move(also)]() mutable {
        throw_when_completion_is_ready([&p, also = std::move(also)] {
          also();
          p.peer->reset();
        });
      });
    });
  }
};

TEST_F(NetHeldBack, ConnectCompletionRunsOnTheNextRun) {
  const raw_listener listener;
  net::socket client;
  async_id connect = 0;
  throw_when_completion_is_ready(
      [&] {
        net::connect("127.0.0.1", listener.port(), [&](std::error_code ec, net::socket s) {
          mark("connect");
          EXPECT_FALSE(ec);
          client = std::move(s);
          client.close();
        });
        connect = last_id("TCPCONNECTWRAP");
      },
      [&] { listener.wait_for_handshake(); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());  // held back: not run, not destroyed
  EXPECT_EQ(rec().invocations(connect), (invocation_counts{.init = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("tick", "connect", "immediate"));
  EXPECT_EQ(rec().invocations(connect),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(NetHeldBack, WriteAndShutdownCompletionsRunOnTheNextRun) {
  pending_write_and_end p;
  start_pending_write_and_end(p, [] {});

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  ASSERT_NE(p.write, 0U);
  EXPECT_EQ(rec().invocations(p.write), (invocation_counts{.init = 1}));
  EXPECT_EQ(rec().invocations(p.end), (invocation_counts{.init = 1}));
  EXPECT_GT(p.conn.buffered_amount(), 0U);  // until the write's callback has run

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("tick", "write", "end", "immediate"));
  EXPECT_EQ(p.conn.buffered_amount(), 0U);
  for (const async_id id : {p.write, p.end}) {
    EXPECT_EQ(rec().invocations(id),
              (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  }
}

TEST_F(NetHeldBack, LookupCompletionRunsOnTheNextRun) {
  std::vector<net::address> found;
  async_id lookup = 0;
  throw_when_completion_is_ready([&] {
    tether::dns::lookup("localhost", {.family = 4},
                        [&](std::error_code ec, std::vector<net::address> addrs) {
                          mark("lookup");
                          EXPECT_FALSE(ec);
                          found = std::move(addrs);
                        });
    lookup = last_id("GETADDRINFOREQWRAP");
  });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  EXPECT_EQ(rec().invocations(lookup), (invocation_counts{.init = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("tick", "lookup", "immediate"));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front().ip, "127.0.0.1");
  EXPECT_EQ(rec().invocations(lookup),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

// Every kind at once, then the loop is destroyed: no callback runs, every
// request gets its destroy and is freed, the connected socket that was never
// handed over is closed (ASan: no leak; the fixture: every init destroyed).
TEST_F(NetHeldBack, HeldBackCompletionsAreDroppedWhenTheLoopIsDestroyed) {
  const raw_listener listener;
  pending_write_and_end p;
  async_id connect = 0;
  async_id lookup = 0;
  start_pending_write_and_end(p, [&] {
    tether::dns::lookup("localhost", {}, [&](std::error_code, std::vector<net::address>) {
      mark("lookup");
    });
    lookup = last_id("GETADDRINFOREQWRAP");
    // Nothing else can make the loop's epoll fd readable yet (the pending
    // write's socket is not writable): this is the pool's wake-up.
    tether::test::wait_for_pending_io(loop());
    net::connect("127.0.0.1", listener.port(),
                 [&](std::error_code, net::socket) { mark("connect"); });
    connect = last_id("TCPCONNECTWRAP");
    listener.wait_for_handshake();
  });

  EXPECT_EQ(run_error(loop()), 8);
  const async_id connected_socket = last_id("TCPWRAP");
  destroy_loop();
  EXPECT_THAT(markers(), ElementsAre());
  for (const async_id id : {p.write, p.end, connect, lookup, connected_socket}) {
    EXPECT_EQ(rec().invocations(id), (invocation_counts{.init = 1, .destroy = 1})) << id;
  }
}

// A socket whose close callback ran while its write's completion was held
// back: the request keeps the socket's state alive until it has completed
// (ASan: no use after free), and the write fails with ECANCELED.
TEST_F(NetHeldBack, AWriteHeldBackOutlivesItsSocketsClose) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  raw_client peer(srv.port());
  net::socket conn;
  std::error_code write_error;
  srv.on_connection([&](net::socket s) {
    srv.close();
    conn = std::move(s);
    conn.write(std::string(too_big_to_take, 'w'), [&](std::error_code ec) {
      mark("write");
      write_error = ec;
    });
    tether::set_immediate([&] {
      tether::set_timeout(
          [&] {
            conn = net::socket();  // the only handle: uv_close, whose callback runs this turn
            throw tether::test::test_error(8);
          },
          std::chrono::milliseconds(1));
    });
  });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  // The socket is closed and destroyed; its state waits for the write.
  const async_id socket_id = last_id("TCPWRAP");
  EXPECT_EQ(rec().invocations(socket_id).destroy, 1);
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("write"));
  EXPECT_EQ(write_error, std::errc::operation_canceled);
}

}  // namespace
