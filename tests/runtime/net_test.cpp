// net: TCPSERVERWRAP, TCPWRAP, TCPCONNECTWRAP, WRITEWRAP and SHUTDOWNWRAP
// with Node's triggers and scopes. Node: test/async-hooks/test-tcpwrap.js,
// test-graph.tcp.js, test-shutdownwrap.js, test-writewrap.js.
#include <tether/net.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using tether::trigger_async_id;
namespace net = tether::net;

class Net : public tether::test::net_fixture {};

TEST_F(Net, ListenCreatesServerWrapWithCurrentTrigger) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  EXPECT_TRUE(srv.listening());
  EXPECT_NE(srv.port(), 0);
  EXPECT_EQ(srv.local_address(), (net::address{"127.0.0.1", srv.port(), 4}));
  const async_id sid = srv.id();
  EXPECT_THAT(log(), ElementsAre(init("TCPSERVERWRAP", sid, top())));
  srv.close();
  EXPECT_FALSE(srv.listening());
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init("TCPSERVERWRAP", sid, top()), destroy(sid)));
}

TEST_F(Net, LocalhostListensOnLoopback) {
  net::server srv = net::server::listen("localhost", 0);
  EXPECT_EQ(srv.local_address().ip, "127.0.0.1");
}

TEST_F(Net, AcceptedSocketIsTriggeredByTheServerAndHandedOverInItsScope) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  const async_id sid = srv.id();
  async_id accepted = 0;
  srv.on_connection([&](net::socket s) {
    mark("connection");
    EXPECT_EQ(execution_async_id(), sid);
    accepted = s.id();
    srv.close();
    // `s` goes out of scope: the accepted connection closes.
  });
  net::socket client;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec) << ec.message();
    client = std::move(s);
    client.close();
  });
  loop().run();
  ASSERT_NE(accepted, 0U);
  // Node: the socket's init comes from native code before the server's
  // before; 'connection' runs inside the server's before/after.
  EXPECT_THAT(log_of({sid, accepted}, {"connection"}),
              ElementsAre(init("TCPSERVERWRAP", sid, top()), init("TCPWRAP", accepted, sid),
                          before(sid), "connection", after(sid),
                          // libuv runs close callbacks last-closed first
                          destroy(accepted), destroy(sid)));
}

TEST_F(Net, ConnectCreatesTcpWrapThenConnectWrapAndCompletesInTheConnectWrap) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  srv.on_connection([&](net::socket) { srv.close(); });
  clear_log();
  net::socket client;
  async_id in_cb = 0;
  async_id trigger_in_cb = 0;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec);
    mark("connected");
    in_cb = execution_async_id();
    trigger_in_cb = trigger_async_id();
    client = std::move(s);
    client.close();
  });
  const async_id tcp = last_id("TCPWRAP");
  const async_id req = last_id("TCPCONNECTWRAP");
  EXPECT_THAT(log(), ElementsAre(init("TCPWRAP", tcp, top()), init("TCPCONNECTWRAP", req, tcp)));
  loop().run();
  EXPECT_EQ(in_cb, req);
  EXPECT_EQ(trigger_in_cb, tcp);
  EXPECT_EQ(client.id(), tcp);
  EXPECT_THAT(log_of({tcp, req}, {"connected"}),
              ElementsAre(init("TCPWRAP", tcp, top()), init("TCPCONNECTWRAP", req, tcp),
                          before(req), "connected", after(req), destroy(req), destroy(tcp)));
}

// Reads with a callback: the data arrives inside the socket's TCPWRAP scope.
TEST_F(Net, ReadCallbackRunsInTheSocketScope) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket conn;
  std::string got;
  async_id read_scope = 0;
  std::function<void()> read_more = [&] {
    conn.read([&](std::error_code ec, std::string data) {
      EXPECT_FALSE(ec);
      read_scope = execution_async_id();
      if (data.empty()) {
        mark("eof");
        conn.close();
        srv.close();
        return;
      }
      got += data;
      read_more();
    });
  };
  srv.on_connection([&](net::socket s) {
    conn = std::move(s);
    read_more();
  });
  net::socket client;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code, net::socket s) {
    client = std::move(s);
    client.write("hello", [](std::error_code ec) { EXPECT_FALSE(ec); });
    client.end([&](std::error_code ec) {
      EXPECT_FALSE(ec);
      client.close();
    });
  });
  loop().run();
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(read_scope, conn.id());
}

// --- coroutines ----------------------------------------------------------------

promise<void> echo_once(net::server& srv) {
  net::socket s = co_await srv.accept();
  srv.close();
  for (;;) {
    std::string chunk = co_await s.read();
    if (chunk.empty()) {
      break;
    }
    co_await s.write(std::move(chunk));
  }
  co_await s.end();
}

promise<std::string> send_and_collect(std::uint16_t port, std::string message) {
  net::socket s = co_await net::connect("127.0.0.1", port);
  co_await s.write(std::move(message));
  co_await s.end();  // half-close: the echo keeps coming
  std::string all;
  for (;;) {
    std::string chunk = co_await s.read();
    if (chunk.empty()) {
      co_return all;
    }
    all += chunk;
  }
}

TEST_F(Net, HalfCloseEchoWithCoroutines) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  promise<void> server_done = echo_once(srv);
  promise<std::string> reply = send_and_collect(srv.port(), "ping pong");
  loop().run();
  ASSERT_TRUE(server_done.is_fulfilled());
  ASSERT_TRUE(reply.is_fulfilled());
  std::string text;
  reply.then([&](std::string s) { text = std::move(s); });
  loop().run();
  EXPECT_EQ(text, "ping pong");
}

TEST_F(Net, ShutdownWrapIsTriggeredByTheSocketAndSmallWritesNeedNoWriteWrap) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  promise<void> server_done = echo_once(srv);
  promise<std::string> reply = send_and_collect(srv.port(), "x");
  loop().run();
  ASSERT_TRUE(reply.is_fulfilled());
  std::vector<async_id> sockets;
  for (const auto& a : rec().activities_of_type("TCPWRAP")) {
    sockets.push_back(a.id);
  }
  ASSERT_EQ(sockets.size(), 2U);
  // The client's message and the echo: the kernel took each at once.
  EXPECT_THAT(rec().activities_of_type("WRITEWRAP"), ::testing::IsEmpty());
  const auto shutdowns = rec().activities_of_type("SHUTDOWNWRAP");
  ASSERT_EQ(shutdowns.size(), 2U);
  for (const auto& a : shutdowns) {
    EXPECT_THAT(sockets, ::testing::Contains(a.trigger));
    EXPECT_EQ(a.calls, (tether::test::invocation_counts{
                           .init = 1, .before = 1, .after = 1, .destroy = 1}));
  }
}

// Node's StreamBase::Write: uv_try_write first; a write the kernel took at
// once creates no WRITEWRAP and its callback runs from a TickObject
// (trigger: where write() was called), as Node's afterWriteDispatched ->
// process.nextTick (Node: async-hooks/test-writewrap.js, whose
// conn.write('hi') creates no WRITEWRAP; it writes until one write does not
// finish at once to see one).
TEST_F(Net, AWriteTheKernelTakesAtOnceCompletesInATickObject) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
  });
  net::socket client;
  async_id caller = 0;
  async_id in_cb = 0;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    ASSERT_FALSE(ec);
    client = std::move(s);
    caller = execution_async_id();
    mark("write");
    client.write("hello", [&](std::error_code e) {
      EXPECT_FALSE(e);
      mark("written");
      in_cb = execution_async_id();
      EXPECT_EQ(client.buffered_amount(), 0U);
      client.close();
      peer.close();
    });
    EXPECT_EQ(client.buffered_amount(), 0U);  // all of it is in the kernel
    mark("returned");
  });
  loop().run();
  EXPECT_THAT(rec().activities_of_type("WRITEWRAP"), ::testing::IsEmpty());
  const auto ticks = rec().activities_of_type("TickObject");
  ASSERT_EQ(ticks.size(), 1U);
  const async_id k = ticks[0].id;
  EXPECT_EQ(in_cb, k);
  EXPECT_THAT(log_of({caller, k}, {"write", "returned", "written"}),
              ElementsAre(init("TCPCONNECTWRAP", caller, client.id()), before(caller), "write",
                          init("TickObject", k, caller), "returned",
                          after(caller), destroy(caller), before(k), "written", after(k),
                          destroy(k)));
}

// What the kernel does not take at once goes through a WRITEWRAP (trigger:
// the socket) whose scope the callback runs in, once the peer has read.
TEST_F(Net, TheRestOfAWriteGoesThroughAWriteWrapTriggeredByTheSocket) {
  constexpr std::size_t total = std::size_t{8} * 1024 * 1024;  // > Linux's 4 MiB send buffer
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket peer;
  std::size_t received = 0;
  std::function<void()> read_all = [&] {
    peer.read([&](std::error_code ec, std::string chunk) {
      ASSERT_FALSE(ec);
      received += chunk.size();
      if (chunk.empty()) {
        peer.close();
        return;
      }
      read_all();
    });
  };
  srv.on_connection([&](net::socket s) {
    peer = std::move(s);
    srv.close();
  });
  net::socket client;
  async_id in_cb = 0;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    ASSERT_FALSE(ec);
    client = std::move(s);
    client.write(std::string(total, 'w'), [&](std::error_code e) {
      EXPECT_FALSE(e);
      mark("written");
      in_cb = execution_async_id();
      client.end([&](std::error_code) { client.close(); });
    });
    mark("queued");
    EXPECT_GT(client.buffered_amount(), 0U);
    EXPECT_LT(client.buffered_amount(), total);  // the kernel took the first part
    read_all();
  });
  loop().run();
  EXPECT_EQ(received, total);
  const auto writes = rec().activities_of_type("WRITEWRAP");
  ASSERT_EQ(writes.size(), 1U);
  const async_id w = writes[0].id;
  EXPECT_EQ(writes[0].trigger, client.id());
  EXPECT_EQ(in_cb, w);
  EXPECT_THAT(log_of({w}, {"queued", "written"}),
              ElementsAre(init("WRITEWRAP", w, client.id()), "queued", before(w), "written",
                          after(w), destroy(w)));
  EXPECT_THAT(rec().activities_of_type("TickObject"), ::testing::IsEmpty());
}

// --- socket options ------------------------------------------------------------

/// TCP_NODELAY of a socket, read from its file descriptor.
bool no_delay_of(const net::socket& s) {
  uv_os_fd_t fd = -1;
  EXPECT_EQ(uv_fileno(reinterpret_cast<const uv_handle_t*>(s.native_handle()), &fd), 0);
  int on = -1;
  socklen_t len = sizeof on;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
  return on != 0;
}

// As Node (noDelay defaults to true since v18): Nagle's algorithm is off on
// accepted and on connected sockets, unless socket_options says otherwise.
TEST_F(Net, AcceptedAndConnectedSocketsHaveNoDelayOn) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::vector<net::socket> accepted;
  srv.on_connection([&](net::socket s) {
    accepted.push_back(std::move(s));
    if (accepted.size() == 2) {
      srv.close();
    }
  });
  net::socket with_default;
  net::socket with_nagle;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    ASSERT_FALSE(ec);
    with_default = std::move(s);
  });
  net::connect("127.0.0.1", srv.port(), {.no_delay = false},
               [&](std::error_code ec, net::socket s) {
                 ASSERT_FALSE(ec);
                 with_nagle = std::move(s);
               });
  loop().run();
  ASSERT_EQ(accepted.size(), 2U);
  EXPECT_TRUE(no_delay_of(accepted[0]));
  EXPECT_TRUE(no_delay_of(accepted[1]));
  EXPECT_TRUE(no_delay_of(with_default));
  EXPECT_FALSE(no_delay_of(with_nagle));
  with_nagle.set_no_delay(true);
  EXPECT_TRUE(no_delay_of(with_nagle));
  accepted[0].set_no_delay(false);
  EXPECT_FALSE(no_delay_of(accepted[0]));
  // Closed or empty: no handle.
  with_default.close();
  EXPECT_EQ(with_default.native_handle(), nullptr);
  EXPECT_EQ(net::socket().native_handle(), nullptr);
}

TEST_F(Net, ContextFlowsThroughAcceptConnectReadAndWrite) {
  tether::async_local_storage<std::string> als;
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::vector<std::string> seen;
  auto look = [&](const char* where) {
    const std::string* s = als.get_store();
    seen.push_back(std::string(where) + "=" + (s != nullptr ? *s : "-"));
  };
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    look("accept");
    srv.close();
    std::string data = co_await s.read();
    look("server-read");
    co_await s.write(std::move(data));
    look("server-write");
    co_await s.end();
  };
  auto client = [&]() -> promise<void> {
    net::socket s = co_await net::connect("127.0.0.1", srv.port());
    look("connect");
    co_await s.write("hi");
    look("client-write");
    std::string data = co_await s.read();
    look("client-read");
  };
  promise<void> a = als.run("server", serve);
  promise<void> b = als.run("client", client);
  loop().run();
  EXPECT_TRUE(a.is_fulfilled());
  EXPECT_TRUE(b.is_fulfilled());
  std::sort(seen.begin(), seen.end());
  EXPECT_THAT(seen, ElementsAre("accept=server", "client-read=client", "client-write=client",
                                "connect=client", "server-read=server", "server-write=server"));
}

TEST_F(Net, CallbackReadSeesTheStoreTheSocketWasCreatedWith) {
  tether::async_local_storage<int> als;
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket conn;
  srv.on_connection([&](net::socket s) {
    conn = std::move(s);
    srv.close();
    conn.write("data", [](std::error_code) {});
    conn.end([](std::error_code) {});
  });
  net::socket client;
  int in_read = 0;
  als.run(42, [&] {
    net::connect("127.0.0.1", srv.port(), [&](std::error_code, net::socket s) {
      client = std::move(s);
      // A store set here does not reach the socket's callbacks: they run in
      // the TCPWRAP's context, captured at connect() (Node's 'data').
      als.run(7, [&] {
        client.read([&](std::error_code, std::string) {
          in_read = *als.get_store();
          client.close();
          conn.close();
        });
      });
    });
  });
  loop().run();
  EXPECT_EQ(in_read, 42);
}

// --- the server's queue ------------------------------------------------------------

TEST_F(Net, ConnectionsWaitInAQueueUntilAccepted) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  std::vector<net::socket> clients;
  int connected = 0;
  for (int i = 0; i < 3; ++i) {
    net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
      EXPECT_FALSE(ec);
      clients.push_back(std::move(s));
      if (++connected == 3) {
        stop_loop();
      }
    });
  }
  loop().run();  // all three connected, none accepted yet
  std::vector<async_id> scopes;
  auto take_all = [&]() -> promise<void> {
    // Several accept()s may wait at once; each settles in the server's scope.
    promise<net::socket> a = srv.accept();
    promise<net::socket> b = srv.accept();
    promise<net::socket> c = srv.accept();
    promise<net::socket> d = srv.accept();  // nobody left: rejected by close()
    for (promise<net::socket>* p : {&a, &b, &c}) {
      net::socket s = co_await *p;
      EXPECT_TRUE(s.valid());
    }
    srv.close();
    try {
      net::socket none = co_await d;
      ADD_FAILURE() << "accept() after close() succeeded";
    } catch (const tether::uv_error& e) {
      EXPECT_EQ(e.code(), std::errc::operation_canceled);
      EXPECT_EQ(e.syscall(), "accept");
    }
    clients.clear();
  };
  promise<void> done = take_all();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  const async_id sid = srv.id();
  for (const auto& a : rec().activities_of_type("TCPWRAP")) {
    if (a.trigger == sid) {
      scopes.push_back(a.id);
    }
  }
  EXPECT_EQ(scopes.size(), 3U);  // three accepted sockets, triggered by the server
}

TEST_F(Net, OnConnectionAndAcceptAreExclusive) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  srv.on_connection([](net::socket) {});
  EXPECT_THROW((void)srv.accept(), tether::usage_error);
  net::server other = net::server::listen("127.0.0.1", 0);
  promise<net::socket> waiting = other.accept();
  promise<net::socket> handled =
      waiting.catch_([](std::exception_ptr) -> net::socket { return {}; });
  EXPECT_THROW(other.on_connection([](net::socket) {}), tether::usage_error);
  srv.close();
  other.close();
  loop().run();
  EXPECT_TRUE(waiting.is_rejected());
}

// --- ownership -----------------------------------------------------------------------

TEST_F(Net, DroppingTheSocketInsideItsOwnReadCallbackIsSafe) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  auto conn = std::make_unique<net::socket>();
  srv.on_connection([&](net::socket s) {
    srv.close();
    *conn = std::move(s);
    conn->read([&](std::error_code ec, std::string data) {
      EXPECT_FALSE(ec);
      EXPECT_EQ(data, "bye");
      conn.reset();  // the handle (and its callback's owner) goes away here
    });
  });
  net::socket client;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code, net::socket s) {
    client = std::move(s);
    client.write("bye", [&](std::error_code) { client.close(); });
  });
  loop().run();
  EXPECT_EQ(conn, nullptr);
}

TEST_F(Net, AHandleMayOutliveItsLoop) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket client;
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec);
    client = std::move(s);
    stop_loop();
  });
  loop().run();
  destroy_loop();
  EXPECT_TRUE(client.valid());
  EXPECT_FALSE(client.is_open());
  EXPECT_FALSE(srv.listening());
  EXPECT_THROW((void)client.local_address(), tether::uv_error);
  client.close();  // nothing left to do, and no loop needed
}

// --- errors ----------------------------------------------------------------------

TEST_F(Net, ConnectionRefusedRejectsWithTheAddress) {
  const std::uint16_t port = closed_port();
  clear_log();
  std::string what;
  std::error_code code;
  auto attempt = [&]() -> promise<void> {
    try {
      net::socket s = co_await net::connect("127.0.0.1", port);
    } catch (const tether::uv_error& e) {
      what = e.what();
      code = e.code();
      EXPECT_EQ(e.syscall(), "connect");
    }
  };
  promise<void> p = attempt();
  const async_id tcp = last_id("TCPWRAP");
  const async_id req = last_id("TCPCONNECTWRAP");
  loop().run();
  EXPECT_EQ(code, std::errc::connection_refused);
  EXPECT_EQ(what, "connect '127.0.0.1:" + std::to_string(port) +
                      "': connection refused (ECONNREFUSED)");
  EXPECT_THAT(log_of({tcp, req}), ElementsAre(init("TCPWRAP", tcp, top()),
                                              init("TCPCONNECTWRAP", req, tcp), before(req),
                                              after(req), destroy(req), destroy(tcp)));
}

TEST_F(Net, ConnectionRefusedCallbackGetsTheCode) {
  const std::uint16_t port = closed_port();
  std::error_code code;
  bool valid = true;
  net::connect("127.0.0.1", port, [&](std::error_code ec, net::socket s) {
    code = ec;
    valid = s.valid();
  });
  loop().run();
  EXPECT_EQ(code, std::errc::connection_refused);
  EXPECT_FALSE(valid);
}

TEST_F(Net, ListenOnABusyPortThrowsAddressInUse) {
  net::server first = net::server::listen("127.0.0.1", 0);
  const std::uint16_t port = first.port();
  try {
    net::server second = net::server::listen("127.0.0.1", port);
    ADD_FAILURE() << "listen on a busy port succeeded";
  } catch (const tether::uv_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_EQ(e.syscall(), "listen");
    EXPECT_THAT(e.what(), HasSubstr("'127.0.0.1:" + std::to_string(port) + "'"));
  }
  // The failed server's TCPSERVERWRAP still gets its destroy (fixture).
  first.close();
  loop().run();
}

TEST_F(Net, ListenRejectsAHostName) {
  EXPECT_THROW(net::server::listen("example.com", 0), tether::usage_error);
}

TEST_F(Net, EmptyHandlesThrowUsageErrors) {
  net::socket s;
  EXPECT_THROW((void)s.read(), tether::usage_error);
  EXPECT_THROW((void)s.write("x"), tether::usage_error);
  EXPECT_THROW((void)s.end(), tether::usage_error);
  net::server srv;
  EXPECT_THROW((void)srv.accept(), tether::usage_error);
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.buffered_amount(), 0U);
}

// --- teardown ----------------------------------------------------------------------

TEST_F(Net, DestroyingTheLoopClosesServersAndConnectedSockets) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  net::socket client;
  promise<std::string> pending_read;
  auto serve = [&]() -> promise<void> {
    net::socket s = co_await srv.accept();
    std::string never = co_await s.read();  // reclaimed at teardown
    ADD_FAILURE() << "read resumed: " << never;
  };
  promise<void> server_side = serve();
  net::connect("127.0.0.1", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec);
    client = std::move(s);
    pending_read = client.read();
    stop_loop();
  });
  loop().run();
  ASSERT_TRUE(client.valid());
  EXPECT_TRUE(pending_read.is_pending());
  // The fixture asserts the destructor printed nothing (uv_loop_close()
  // succeeded) and that every init got its destroy.
  destroy_loop();
  EXPECT_FALSE(client.is_open());
}

}  // namespace
