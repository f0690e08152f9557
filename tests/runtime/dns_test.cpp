// dns::lookup: one GETADDRINFOREQWRAP per call, the callback in its scope;
// net::connect to a host name looks it up first (GETADDRINFOREQWRAP, trigger
// = the TCPWRAP). Node: test/async-hooks/test-getaddrinforeqwrap.js,
// parallel/test-dns-lookup.js. Loopback and /etc/hosts only: the invalid
// name uses the reserved .invalid TLD, which no resolver answers.
#include <tether/dns.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net_fixture.hpp"

namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using tether::trigger_async_id;
namespace net = tether::net;
namespace dns = tether::dns;

class Dns : public tether::test::net_fixture {};

TEST_F(Dns, LookupLocalhostRunsItsCallbackInTheRequestScope) {
  std::vector<net::address> got;
  async_id in_cb = 0;
  async_id trigger_in_cb = 0;
  dns::lookup("localhost", {}, [&](std::error_code ec, std::vector<net::address> addrs) {
    EXPECT_FALSE(ec) << ec.message();
    mark("looked up");
    in_cb = execution_async_id();
    trigger_in_cb = trigger_async_id();
    got = std::move(addrs);
  });
  const async_id req = last_id("GETADDRINFOREQWRAP");
  loop().run();
  EXPECT_THAT(got, Contains(net::address{"127.0.0.1", 0, 4}));
  EXPECT_EQ(in_cb, req);
  EXPECT_EQ(trigger_in_cb, top());
  EXPECT_THAT(log(), ElementsAre(init("GETADDRINFOREQWRAP", req, top()), before(req),
                                 "looked up", after(req), destroy(req)));
}

TEST_F(Dns, AnIpLiteralIsLookedUpToo) {
  // Like Node's dns.lookup (net.connect is what skips literals).
  std::vector<net::address> got;
  dns::lookup("127.0.0.1", {}, [&](std::error_code ec, std::vector<net::address> addrs) {
    EXPECT_FALSE(ec);
    got.insert(got.end(), addrs.begin(), addrs.end());
  });
  dns::lookup("::1", {.family = 6}, [&](std::error_code ec, std::vector<net::address> addrs) {
    EXPECT_FALSE(ec);
    got.insert(got.end(), addrs.begin(), addrs.end());
  });
  loop().run();
  // Two thread-pool requests: either may finish first.
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(net::address{"127.0.0.1", 0, 4},
                                                   net::address{"::1", 0, 6}));
  EXPECT_EQ(rec().activities_of_type("GETADDRINFOREQWRAP").size(), 2U);
}

TEST_F(Dns, FamilyFourOnlyGivesIpv4) {
  std::vector<net::address> got;
  auto look = [&]() -> promise<void> {
    got = co_await dns::lookup("localhost", {.family = 4});
  };
  promise<void> done = look();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  ASSERT_FALSE(got.empty());
  for (const net::address& a : got) {
    EXPECT_EQ(a.family, 4);
  }
}

TEST_F(Dns, AnUnknownNameIsEaiNonameNamingTheHost) {
  std::string what;
  std::error_code code;
  auto look = [&]() -> promise<void> {
    try {
      (void)co_await dns::lookup("no-such-host.invalid");
    } catch (const tether::uv_error& e) {
      what = e.what();
      code = e.code();
      EXPECT_EQ(e.syscall(), "getaddrinfo");
      EXPECT_EQ(e.path(), "no-such-host.invalid");
    }
  };
  promise<void> done = look();
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(code, tether::make_uv_error_code(UV_EAI_NONAME));
  EXPECT_EQ(what, "getaddrinfo 'no-such-host.invalid': unknown node or service (EAI_NONAME)");
}

TEST_F(Dns, LookupKeepsTheCallersContext) {
  tether::async_local_storage<int> als;
  int seen = 0;
  auto look = [&]() -> promise<void> {
    (void)co_await dns::lookup("localhost");
    seen = *als.get_store();
  };
  promise<void> done = als.run(5, look);
  loop().run();
  EXPECT_EQ(seen, 5);
}

// --- connect by name ------------------------------------------------------------

TEST_F(Dns, ConnectToAHostNameLooksItUpInsideTheSocket) {
  net::server srv = net::server::listen("127.0.0.1", 0);
  srv.on_connection([&](net::socket) { srv.close(); });
  clear_log();
  net::socket client;
  async_id in_cb = 0;
  net::connect("localhost", srv.port(), [&](std::error_code ec, net::socket s) {
    EXPECT_FALSE(ec) << ec.message();
    mark("connected");
    in_cb = execution_async_id();
    client = std::move(s);
    client.close();
  });
  const async_id tcp = last_id("TCPWRAP");
  const async_id lookup = last_id("GETADDRINFOREQWRAP");
  loop().run();
  const async_id req = last_id("TCPCONNECTWRAP");
  EXPECT_EQ(in_cb, req);
  // Node's lookupAndConnect: the lookup's trigger is the socket; the
  // connect request is created inside the lookup's callback, trigger the
  // socket again.
  EXPECT_THAT(log_of({tcp, lookup, req}, {"connected"}),
              ElementsAre(init("TCPWRAP", tcp, top()), init("GETADDRINFOREQWRAP", lookup, tcp),
                          before(lookup), init("TCPCONNECTWRAP", req, tcp), after(lookup),
                          destroy(lookup), before(req), "connected", after(req), destroy(req),
                          destroy(tcp)));
}

TEST_F(Dns, ConnectToAnUnknownNameFailsInTheLookup) {
  std::string what;
  std::string syscall;
  auto attempt = [&]() -> promise<void> {
    try {
      net::socket s = co_await net::connect("no-such-host.invalid", 80);
    } catch (const tether::uv_error& e) {
      what = e.what();
      syscall = e.syscall();
    }
  };
  promise<void> done = attempt();
  const async_id tcp = last_id("TCPWRAP");
  const async_id lookup = last_id("GETADDRINFOREQWRAP");
  loop().run();
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(syscall, "getaddrinfo");
  EXPECT_EQ(what,
            "getaddrinfo 'no-such-host.invalid:80': unknown node or service (EAI_NONAME)");
  EXPECT_EQ(rec().activities_of_type("TCPCONNECTWRAP").size(), 0U);
  EXPECT_THAT(log_of({tcp, lookup}),
              ElementsAre(init("TCPWRAP", tcp, top()), init("GETADDRINFOREQWRAP", lookup, tcp),
                          before(lookup), after(lookup), destroy(lookup), destroy(tcp)));
}

}  // namespace
