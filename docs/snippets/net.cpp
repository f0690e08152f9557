// docs/net.md: a TCP echo server and a client on 127.0.0.1, and the ids of
// Node's executionAsyncId() example: a connection callback runs in the
// server's scope, its socket's trigger is the server.
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

tether::promise<> echo(tether::net::socket s) {
  for (;;) {
    std::string chunk = co_await s.read();  // "" at end of stream
    if (chunk.empty()) {
      break;
    }
    co_await s.write(std::move(chunk));
  }
  co_await s.end();
}

tether::promise<std::string> client(std::uint16_t port) {
  tether::net::socket s = co_await tether::net::connect("127.0.0.1", port);
  co_await s.write("ping");
  co_await s.end();  // half-close: the server reads "ping", then end of stream
  std::string answer;
  for (std::string chunk = co_await s.read(); !chunk.empty(); chunk = co_await s.read()) {
    answer += chunk;
  }
  co_return answer;
}

int main() {
  tether::event_loop loop;
  auto srv = tether::net::server::listen("127.0.0.1", 0);  // port 0: a free one
  const tether::async_id server_id = srv.id();             // its TCPSERVERWRAP
  tether::async_id in_callback = 0;
  std::vector<tether::promise<>> connections;
  srv.on_connection([&](tether::net::socket s) {
    in_callback = tether::execution_async_id();  // the server's id, as in Node
    connections.push_back(echo(std::move(s)));
    srv.close();  // one connection is enough here
  });
  std::string answer;
  auto done = client(srv.port()).then([&](std::string a) { answer = std::move(a); });
  loop.run();
  tether::debug("echoed", answer, "; connection callback ran in", in_callback, "= server", server_id);
  return answer == "ping" && in_callback == server_id ? 0 : 1;
}
