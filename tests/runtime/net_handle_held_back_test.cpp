// What a socket or server reports in the loop turn in which a callback threw
// (D23): data read, the end of the stream, a new connection and the
// ECANCELED of a read pending on a socket closed in that turn run no user
// code then. They are held back with the requests' completions
// (net_held_back_test.cpp) and delivered on the next run(), in the
// resource's scope, or dropped with the loop (every resource destroyed, ASan:
// nothing leaked). Each test makes its event ready inside the throwing timer,
// so that libuv delivers it in that turn's poll (or close) phase.
#include <tether/net.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poll.h>
#include <uv.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "runtime/held_back.hpp"
#include "runtime/net_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::test::invocation_counts;
using tether::test::raw_client;
using tether::test::run_error;
namespace net = tether::net;

/// Blocks until `s` has something to read (data or the end): libuv's next
/// poll phase delivers it.
void wait_readable(const net::socket& s) {
  uv_os_fd_t fd = -1;
  ASSERT_EQ(uv_fileno(reinterpret_cast<uv_handle_t*>(s.native_handle()), &fd), 0);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10'000), 1) << "nothing arrived";
}

std::vector<std::string> first(std::vector<std::string> v, std::size_t n) {
  v.resize(std::min(n, v.size()));
  return v;
}

class NetHandleHeldBack : public tether::test::net_fixture {
 protected:
  /// The helper of held_back.hpp with this fixture's markers: `release`
  /// inside a timer that then throws test_error(8), once `wait` has seen
  /// the event ready.
  void throw_when_ready(
      std::function<void()> release,
      std::function<void()> wait = [] {
        tether::test::wait_for_pending_io(tether::event_loop::current());
      }) {
    tether::test::throw_when_completion_is_ready([this](std::string m) { mark(std::move(m)); },
                                                 std::move(release), std::move(wait));
  }

  /// A listening server with one raw client connected; `with_conn` runs in
  /// on_connection with the accepted socket (kept in `conn`) after the
  /// server is closed, and the throwing timer is set from an immediate after
  /// it (libuv watches a socket that starts reading from the next poll phase
  /// on).
  void accept_one(std::function<void()> with_conn, std::function<void()> release,
                  std::function<void()> wait) {
    srv = net::server::listen("127.0.0.1", 0);
    peer.emplace(srv.port());
    srv.on_connection([this, with_conn = std::move(with_conn), release = std::move(release),
                       wait = std::move(wait)](net::socket s) mutable {
      conn = std::move(s);
      conn_id = conn.id();
      srv.close();
      with_conn();
      tether::set_immediate(
          [this, release = std::move(release), wait = std::move(wait)]() mutable {
            throw_when_ready(std::move(release), std::move(wait));
          });
    });
  }

  net::server srv;
  std::optional<raw_client> peer;
  net::socket conn;
  async_id conn_id = 0;
};

// Flowing mode: the chunk read in the throwing turn reaches on_data on the
// next run (whole, in the socket's scope), then the socket reads on.
TEST_F(NetHandleHeldBack, DataReadRunsOnTheNextRunThenReadingGoesOn) {
  accept_one(
      [this] {
        conn.on_data([this](std::error_code ec, std::string_view data) {
          EXPECT_FALSE(ec);
          EXPECT_EQ(tether::execution_async_id(), conn_id);
          mark("data:" + std::string(data));
          if (data == "hello") {
            tether::set_immediate([this] { peer->send("world"); });
          } else {
            conn.close();
          }
        });
      },
      [this] { peer->send("hello"); }, [this] { wait_readable(conn); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());  // held back: not run
  ASSERT_NE(conn_id, 0U);
  EXPECT_EQ(rec().invocations(conn_id), (invocation_counts{.init = 1}));
  EXPECT_FALSE(conn.is_paused());
  clear_log();

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(log_of({conn_id}, {"tick", "data:hello", "immediate", "data:world"}),
              ElementsAre("tick", before(conn_id), "data:hello", after(conn_id), "immediate",
                          before(conn_id), "data:world", after(conn_id), destroy(conn_id)));
}

// A peer that has sent much more than one read's worth when the loop stops:
// the socket holds one read (64 KiB, libuv's read buffer here) and stops
// reading; the rest waits in the kernel (TCP flow control), and arrives once
// the held chunk is delivered.
TEST_F(NetHandleHeldBack, AHeldBackReadHoldsOneReadsWorth) {
  constexpr std::size_t one_read = std::size_t{64} * 1024;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::vector<std::size_t> chunks;
  accept_one(
      [&] {
        conn.on_data([&](std::error_code ec, std::string_view data) {
          EXPECT_FALSE(ec);
          chunks.push_back(data.size());
          received += data.size();
          if (received == sent) {
            conn.close();
          }
        });
      },
      [&] {
        sent = peer->send_some(std::string(std::size_t{4} * one_read, 'b'));
        ASSERT_GT(sent, one_read) << "the kernel took too little to test the bound";
      },
      [this] { wait_readable(conn); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_TRUE(chunks.empty());
  EXPECT_EQ(run_error(loop()), -1);
  ASSERT_FALSE(chunks.empty());
  EXPECT_LE(chunks.front(), one_read);  // what it held
  EXPECT_EQ(received, sent);
}

// The next run's ticks pause the socket before the held chunk is
// delivered: it waits, as any chunk of a paused socket, for resume().
TEST_F(NetHandleHeldBack, AHeldBackChunkForASocketPausedMeanwhileWaitsForResume) {
  accept_one(
      [this] {
        conn.on_data([this](std::error_code ec, std::string_view data) {
          EXPECT_FALSE(ec);
          EXPECT_EQ(tether::execution_async_id(), conn_id);
          mark("data:" + std::string(data));
          conn.close();
        });
      },
      [this] {
        peer->send("hello");
        tether::next_tick([this] {
          conn.pause();
          mark("paused");
        });
      },
      [this] { wait_readable(conn); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_EQ(run_error(loop()), -1);  // paused: nothing keeps the loop alive
  EXPECT_THAT(markers(), ElementsAre("paused", "tick", "immediate"));
  EXPECT_TRUE(conn.is_open());

  conn.resume();
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("paused", "tick", "immediate", "data:hello"));
}

// read(): the end of the stream read in the throwing turn.
TEST_F(NetHandleHeldBack, EndOfStreamRunsOnTheNextRun) {
  accept_one(
      [this] {
        conn.read([this](std::error_code ec, std::string data) {
          EXPECT_FALSE(ec);
          EXPECT_EQ(data, "");
          EXPECT_EQ(tether::execution_async_id(), conn_id);
          mark("end");
          conn.close();
        });
      },
      [this] { peer.reset(); }, [this] { wait_readable(conn); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  EXPECT_EQ(rec().invocations(conn_id), (invocation_counts{.init = 1}));
  clear_log();

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(first(log_of({conn_id}, {"tick", "end", "immediate"}), 5),
              ElementsAre("tick", before(conn_id), "end", after(conn_id), "immediate"));
  EXPECT_EQ(rec().invocations(conn_id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

// The read pending on a socket closed in the throwing turn: libuv's close
// callback comes in that turn's close phase; the ECANCELED and the socket's
// destroy wait for the next run.
TEST_F(NetHandleHeldBack, CanceledReadOfASocketClosedInThatTurnRunsOnTheNextRun) {
  std::error_code read_error;
  accept_one(
      [&] {
        conn.read([&](std::error_code ec, std::string) {
          EXPECT_EQ(tether::execution_async_id(), conn_id);
          read_error = ec;
          mark("canceled");
        });
      },
      [this] { conn.close(); }, [] {});

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  EXPECT_EQ(rec().invocations(conn_id), (invocation_counts{.init = 1}));  // not destroyed yet
  clear_log();

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(log_of({conn_id}, {"tick", "canceled", "immediate"}),
              ElementsAre("tick", before(conn_id), "canceled", after(conn_id), destroy(conn_id),
                          "immediate"));
  EXPECT_EQ(read_error, std::errc::operation_canceled);
}

// A connection that arrives in the throwing turn is not even accepted then
// (no TCPWRAP): libuv keeps it until the next run accepts it and hands it to
// on_connection, in the server's scope.
TEST_F(NetHandleHeldBack, ConnectionRunsOnTheNextRun) {
  net::server server = net::server::listen("127.0.0.1", 0);
  const async_id server_id = server.id();
  std::optional<raw_client> client;
  net::socket accepted;
  server.on_connection([&](net::socket s) {
    EXPECT_EQ(tether::execution_async_id(), server_id);
    mark("connection");
    accepted = std::move(s);
    accepted.close();
    server.close();
  });
  throw_when_ready([&] { client.emplace(server.port()); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  EXPECT_EQ(last_id("TCPWRAP"), 0U);  // not accepted
  EXPECT_EQ(rec().invocations(server_id), (invocation_counts{.init = 1}));
  clear_log();

  EXPECT_EQ(run_error(loop()), -1);
  const async_id socket_id = last_id("TCPWRAP");
  ASSERT_NE(socket_id, 0U);
  EXPECT_THAT(first(log_of({server_id, socket_id}, {"tick", "connection", "immediate"}), 6),
              ElementsAre("tick", init("TCPWRAP", socket_id, server_id), before(server_id),
                          "connection", after(server_id), "immediate"));
  EXPECT_EQ(rec().invocations(server_id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

// All four held back, then the loop is destroyed instead of run again: no
// callback runs, every socket gets its one destroy, the connection libuv
// kept is closed with the server, nothing leaks (ASan).
TEST_F(NetHandleHeldBack, HeldBackEventsAreDroppedWhenTheLoopIsDestroyed) {
  net::server server = net::server::listen("127.0.0.1", 0);
  std::optional<raw_client> data_peer(server.port());
  std::optional<raw_client> end_peer(server.port());
  raw_client cancel_peer(server.port());
  std::optional<raw_client> late_peer;
  std::vector<net::socket> conns;
  server.on_connection([&](net::socket s) {
    conns.push_back(std::move(s));
    if (conns.size() < 3) {
      return;
    }
    conns[0].on_data([&](std::error_code, std::string_view) { mark("data"); });
    conns[1].read([&](std::error_code, std::string) { mark("end"); });
    conns[2].read([&](std::error_code, std::string) { mark("canceled"); });
    tether::set_immediate([&] {
      throw_when_ready(
          [&] {
            data_peer->send("x");
            end_peer.reset();
            conns[2].close();
            late_peer.emplace(server.port());
          },
          [&] {
            wait_readable(conns[0]);
            wait_readable(conns[1]);
          });
    });
  });

  EXPECT_EQ(run_error(loop()), 8);
  ASSERT_EQ(conns.size(), 3U);
  std::vector<async_id> ids;
  for (const net::socket& c : conns) {
    ids.push_back(c.id());
  }
  destroy_loop();
  EXPECT_THAT(markers(), ElementsAre());
  for (const async_id id : ids) {
    EXPECT_EQ(rec().invocations(id), (invocation_counts{.init = 1, .destroy = 1})) << id;
  }
  EXPECT_EQ(last_id("TCPWRAP"), ids.back());  // the late connection was never accepted
}

}  // namespace
