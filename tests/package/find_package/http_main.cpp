// Built against an installed tether by tests/package (through pkg-config):
// the http layer links and runs from the installed package alone, its
// parser library included.
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>

#include <string>

int main() {
  tether::event_loop loop;
  auto srv = tether::http::server::listen(
      "127.0.0.1", 0, [](tether::http::request&, tether::http::response& res) -> tether::promise<> {
        co_await res.end("pong");
      });
  std::string body;
  auto done = tether::http::fetch("GET", "127.0.0.1:" + std::to_string(srv.port()) + "/")
                  .then([&](tether::http::client_response r) {
                    body = r.body;
                    srv.close();
                  });
  loop.run();
  return body == "pong" ? 0 : 1;
}
