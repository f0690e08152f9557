// Hops through I/O: fs (a read_file is a chain of requests, the ones made
// inside tether folded when printed) and TCP (the server's connection
// callback, the client's connect callback).
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <tether/fs.hpp>
#include <tether/net.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class Io : public trace_fixture {};

async_trace seen;

TETHER_NOINLINE void take_io_trace() { seen = async_stack_trace(); }

TETHER_NOINLINE void read_a_file_from_user_code(const std::string& path) {
  fs::read_file(path, [](std::error_code ec, std::string data) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(data, "contents");
    take_io_trace();
  });
}

TEST_F(Io, FileReadCallbackShowsWhoStartedTheRead) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "tether_stack_trace_io_test.txt").string();
  std::ofstream(path) << "contents";
  read_a_file_from_user_code(path);
  loop().run();
  std::filesystem::remove(path);
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_FALSE(hops.empty());
  EXPECT_EQ(hops[0].type, "FSREQCALLBACK");
  bool started_by_user = false;
  for (const async_hop& h : hops) {
    EXPECT_EQ(h.type, "FSREQCALLBACK");
    started_by_user = started_by_user || mentions(h.frames, "read_a_file_from_user_code");
  }
  EXPECT_TRUE(started_by_user) << to_string(seen);
  // The requests the chain made on its own print as one line.
  EXPECT_THAT(to_string(seen), MatchesRegex("(.|\n)*-- FSREQCALLBACK [0-9]+(, [0-9]+)* created "
                                            "inside tether\n(.|\n)*"));
  seen = {};
}

async_trace on_server;
async_trace on_client;

TETHER_NOINLINE void start_listening(net::server& srv) {
  srv = net::server::listen("127.0.0.1", 0);
  srv.on_connection([&srv](net::socket) {
    on_server = async_stack_trace();
    srv.close();
  });
}

TETHER_NOINLINE void connect_from_user_code(std::uint16_t port) {
  net::connect("127.0.0.1", port, [](std::error_code ec, net::socket) {
    EXPECT_FALSE(ec);
    on_client = async_stack_trace();
  });
}

TEST_F(Io, TcpCallbacksShowTheListenAndConnectCalls) {
  net::server srv;
  start_listening(srv);
  connect_from_user_code(srv.port());
  loop().run();
  const std::vector<async_hop> server_hops = on_server.hops();
  ASSERT_FALSE(server_hops.empty());
  EXPECT_EQ(server_hops[0].type, "TCPSERVERWRAP");
  EXPECT_EQ(server_hops[0].id, srv.id());
  EXPECT_TRUE(mentions(server_hops[0].frames, "start_listening")) << to_string(on_server);
  const std::vector<async_hop> client_hops = on_client.hops();
  ASSERT_FALSE(client_hops.empty());
  EXPECT_EQ(client_hops[0].type, "TCPCONNECTWRAP");
  EXPECT_TRUE(mentions(client_hops[0].frames, "connect_from_user_code")) << to_string(on_client);
  on_server = {};
  on_client = {};
}

}  // namespace
}  // namespace tether::test
