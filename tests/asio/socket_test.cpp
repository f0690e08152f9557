// Sockets on loopback (accept, connect, read, write, composed async_read /
// async_write), a UDP round trip and the resolver: resource types, triggers,
// and context flowing from each operation's caller.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

#include "asio_events.hpp"
#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::test::activity;
using tether::test::asio_events;
using tether::test::hook_recorder;
using tcp = net::ip::tcp;
using udp = net::ip::udp;

struct socket_test : ::testing::Test {
  hook_recorder rec;
  net::io_context io;
  async_id top = execution_async_id();
  asio_events ev{rec, {.top = top}};
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::address_v4::loopback(), 0)};

  void SetUp() override { rec.enable(); }

  const activity& only(std::string_view type) {
    static activity none;
    const auto found = rec.activities_of_type(type);
    EXPECT_EQ(found.size(), 1u) << type;
    if (found.size() != 1) {
      return none;
    }
    kept_.push_back(found[0]);
    return kept_.back();
  }

 private:
  std::deque<activity> kept_;
};

TEST_F(socket_test, AcceptConnectWriteReadAreEachOneResourceTriggeredByTheirCaller) {
  tcp::socket server(io);
  tcp::socket client(io);
  std::array<char, 16> buffer{};
  std::string received;
  async_id accept_handler = 0;
  async_id connect_handler = 0;
  async_id read_handler = 0;
  acceptor.async_accept(server, [&](net_error_code ec) {
    ASSERT_FALSE(ec);
    accept_handler = execution_async_id();
    server.async_read_some(net::buffer(buffer), [&](net_error_code ec2, std::size_t n) {
      ASSERT_FALSE(ec2);
      read_handler = execution_async_id();
      received.assign(buffer.data(), n);
    });
  });
  client.async_connect(acceptor.local_endpoint(), [&](net_error_code ec) {
    ASSERT_FALSE(ec);
    connect_handler = execution_async_id();
    client.async_write_some(net::buffer(std::string_view("hi")), [](net_error_code, std::size_t) {});
  });
  io.run();
  EXPECT_EQ(received, "hi");

  const activity& accept = only("asio.acceptor.async_accept");
  const activity& connect = only("asio.socket.async_connect");
  const activity& read = only("asio.socket.async_read_some");
  const activity& write = only("asio.socket.async_write_some");
  EXPECT_EQ(accept.trigger, top);
  EXPECT_EQ(connect.trigger, top);
  EXPECT_EQ(read.trigger, accept.id);    // started in the accept handler
  EXPECT_EQ(write.trigger, connect.id);  // started in the connect handler
  EXPECT_EQ(accept_handler, accept.id);
  EXPECT_EQ(connect_handler, connect.id);
  EXPECT_EQ(read_handler, read.id);
  for (const activity* a : {&accept, &connect, &read, &write}) {
    EXPECT_EQ(a->calls, (tether::test::invocation_counts{.init = 1, .before = 1, .after = 1,
                                                         .destroy = 1}))
        << a->type;
  }
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(socket_test, ComposedWriteAndReadAreChainsOfTheirSteps) {
  tcp::socket server(io);
  tcp::socket client(io);
  const std::string payload(256 * 1024, 'x');  // more than one write_some on loopback
  std::string received(payload.size(), '\0');
  acceptor.async_accept(server, [&](net_error_code) {
    net::async_read(server, net::buffer(received), [](net_error_code, std::size_t) {});
  });
  client.async_connect(acceptor.local_endpoint(), [&](net_error_code) {
    net::async_write(client, net::buffer(payload), [](net_error_code, std::size_t) {});
  });
  io.run();
  EXPECT_EQ(received, payload);
  // Each step is triggered by the step before it; the first by the caller.
  for (std::string_view type : {"asio.socket.async_write_some", "asio.socket.async_read_some"}) {
    const auto steps = rec.activities_of_type(type);
    ASSERT_GE(steps.size(), 2u) << type;
    for (std::size_t i = 1; i < steps.size(); ++i) {
      EXPECT_EQ(steps[i].trigger, steps[i - 1].id) << type << " step " << i;
    }
  }
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(socket_test, EachConnectionKeepsTheContextItsHandlersWereStartedIn) {
  tether::async_local_storage<int> als;
  constexpr int connections = 8;
  std::vector<std::unique_ptr<tcp::socket>> servers;
  std::vector<std::unique_ptr<tcp::socket>> clients;
  std::vector<std::array<char, 8>> buffers(connections);
  int mixups = 0;
  int served = 0;
  std::function<void()> accept_next = [&] {
    auto& s = servers.emplace_back(std::make_unique<tcp::socket>(io));
    acceptor.async_accept(*s, [&, sock = s.get()](net_error_code ec) {
      if (ec) {
        return;
      }
      const int n = served++;
      als.enter_with(1000 + n);  // this connection's context, from here on
      auto& buf = buffers[static_cast<std::size_t>(n)];
      sock->async_read_some(net::buffer(buf), [&, n, sock](net_error_code, std::size_t) {
        mixups += *als.get_store() != 1000 + n;
        net::async_write(*sock, net::buffer(std::string_view("ok")),
                         [&, n](net_error_code, std::size_t) { mixups += *als.get_store() != 1000 + n; });
      });
      if (served < connections) {
        accept_next();  // in this connection's context: fine, it sets its own
      }
    });
  };
  accept_next();
  for (int i = 0; i < connections; ++i) {
    als.run(i, [&] {
      auto& c = clients.emplace_back(std::make_unique<tcp::socket>(io));
      c->async_connect(acceptor.local_endpoint(), [&, i, c = c.get()](net_error_code) {
        mixups += *als.get_store() != i;
        net::async_write(*c, net::buffer(std::string_view("req")),
                         [&, i](net_error_code, std::size_t) { mixups += *als.get_store() != i; });
      });
    });
  }
  io.run();
  EXPECT_EQ(served, connections);
  EXPECT_EQ(mixups, 0);
}

TEST_F(socket_test, UdpSendToAndReceiveFromAreNamedAsDatagramOperations) {
  udp::socket receiver(io, udp::endpoint(net::ip::address_v4::loopback(), 0));
  udp::socket sender(io, udp::endpoint(net::ip::address_v4::loopback(), 0));
  std::array<char, 8> buffer{};
  udp::endpoint from;
  receiver.async_receive_from(net::buffer(buffer), from, [](net_error_code, std::size_t) {});
  sender.async_send_to(net::buffer(std::string_view("d")), receiver.local_endpoint(),
                       [](net_error_code, std::size_t) {});
  io.run();
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_receive_from").size(), 1u);
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_send_to").size(), 1u);

  // Connected datagram sockets: async_receive / async_send, not *_some.
  sender.connect(receiver.local_endpoint());
  receiver.connect(sender.local_endpoint());
  receiver.async_receive(net::buffer(buffer), [](net_error_code, std::size_t) {});
  sender.async_send(net::buffer(std::string_view("d")), [](net_error_code, std::size_t) {});
  io.restart();
  io.run();
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_receive").size(), 1u);
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_send").size(), 1u);
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_read_some").size(), 0u);
}

TEST_F(socket_test, ACancelledAcceptCompletesWithOperationAborted) {
  tcp::socket server(io);
  net_error_code result;
  acceptor.async_accept(server, [&](net_error_code ec) { result = ec; });
  net::post(io, [&] { acceptor.close(); });
  io.run();
  EXPECT_EQ(result, net::error::operation_aborted);
  EXPECT_THAT(ev.list(), ElementsAre("init asio.acceptor.async_accept A trigger top",
                                     "init asio.post B trigger top", "before B", "after B",
                                     "destroy B", "before A", "after A", "destroy A"));
}

TEST_F(socket_test, TheResolverIsOneResource) {
  tcp::resolver resolver(io);
  tether::async_local_storage<int> als;
  int seen = 0;
  std::size_t results = 0;
  als.run(9, [&] {
    resolver.async_resolve("127.0.0.1", "80",
                           [&](net_error_code ec, tcp::resolver::results_type r) {
                             EXPECT_FALSE(ec);
                             results = r.size();
                             seen = *als.get_store();
                           });
  });
  io.run();
  EXPECT_GE(results, 1u);
  EXPECT_EQ(seen, 9);
  EXPECT_THAT(ev.list(), ElementsAre("init asio.resolver A trigger top", "before A", "after A",
                                     "destroy A"));
}

TEST_F(socket_test, SocketsClosedWithReadsPendingDestroyEachOnce) {
  tcp::socket server(io);
  tcp::socket client(io);
  std::array<char, 4> buffer{};
  int aborted = 0;
  acceptor.async_accept(server, [&](net_error_code) {
    server.async_read_some(net::buffer(buffer), [&](net_error_code ec, std::size_t) {
      aborted += ec == net::error::operation_aborted;
    });
    net::post(io, [&] { server.close(); });
  });
  client.async_connect(acceptor.local_endpoint(), [](net_error_code) {});
  io.run();
  EXPECT_EQ(aborted, 1);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(socket_test, IoContextDestroyedWithSocketWorkPendingDestroysEveryResourceOnce) {
  bool accepted = false;
  bool connected = false;
  int reads_run = 0;
  int strand_run = 0;
  {
    net::io_context doomed;
    tcp::acceptor listener(doomed, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    tcp::socket server(doomed);
    tcp::socket client(doomed);
    std::array<char, 4> buffer{};
    listener.async_accept(server, [&](net_error_code ec) {
      accepted = !ec;
      // Nothing is ever written: this read is pending when the context ends.
      server.async_read_some(net::buffer(buffer),
                             [&](net_error_code, std::size_t) { ++reads_run; });
    });
    client.async_connect(listener.local_endpoint(), [&](net_error_code ec) { connected = !ec; });
    while (!(accepted && connected) && doomed.run_one() != 0) {
    }
    ASSERT_TRUE(accepted && connected);
    // More work that never runs: a second accept, queued strand handlers, a
    // timer, a coroutine waiting on it.
    tcp::socket second(doomed);
    listener.async_accept(second, [](net_error_code) {});
    auto strand = net::make_strand(doomed);
    net::post(strand, [&] { ++strand_run; });
    net::post(strand, [&] { ++strand_run; });
    net::steady_timer timer(doomed, std::chrono::hours(1));
    timer.async_wait([](net_error_code) {});
    // Sockets and the timer go first (their operations are cancelled into
    // the queue), then the context with everything still queued.
  }
  EXPECT_EQ(reads_run, 0);
  EXPECT_EQ(strand_run, 0);
  int resources = 0;
  for (const auto& a : rec.activities()) {
    ++resources;
    EXPECT_EQ(a.calls.init, 1) << a.type;
    EXPECT_EQ(a.calls.destroy, 1) << a.type;
  }
  // accept, connect, read, second accept, two strand posts, the timer.
  EXPECT_EQ(resources, 7);
  EXPECT_EQ(rec.activities_of_type("asio.socket.async_read_some").size(), 1u);
  EXPECT_EQ(rec.activities_of_type("asio.strand.post").size(), 2u);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

}  // namespace
