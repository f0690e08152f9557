// http::fetch with an agent against scripted raw servers: the retry of a
// pooled connection the server closed while it sat idle (the request
// succeeds on a new connection), and no retry once part of a response came
// back (the request rejects and is not sent again).
#include <tether/http.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "http/test_support.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tether::promise;
using namespace std::chrono_literals;
namespace http = tether::http;
namespace net = tether::net;

class HttpClient : public tether::test::http_fixture {};

/// A raw HTTP server run by a script: for connection `c` (0, 1, ...) and
/// its request `r`, `answer(c, r)` gives the bytes to send back and
/// whether to close the connection after them. Requests have no body.
class scripted_server {
 public:
  using script = std::function<std::pair<std::string, bool>(int connection, int request)>;

  explicit scripted_server(script s) : script_(std::move(s)), srv_(net::server::listen("127.0.0.1", 0)) {
    accepting_ = accept_loop();
  }
  std::uint16_t port() const { return srv_.port(); }
  /// Requests received, per connection.
  const std::vector<int>& requests() const noexcept { return requests_; }
  void close() {
    srv_.close();
    for (net::socket& s : open_) {
      s.close();
    }
  }

 private:
  promise<> accept_loop() {
    try {
      for (;;) {
        net::socket s = co_await srv_.accept();
        const int c = static_cast<int>(requests_.size());
        requests_.push_back(0);
        serving_.push_back(serve(std::move(s), c));
      }
    } catch (const tether::uv_error&) {
      // closed
    }
  }

  promise<> serve(net::socket s, int c) {
    std::string in;
    try {
      for (;;) {
        std::string chunk = co_await s.read();
        if (chunk.empty()) {
          co_return;
        }
        in += chunk;
        for (auto end = in.find("\r\n\r\n"); end != std::string::npos; end = in.find("\r\n\r\n")) {
          in.erase(0, end + 4);
          const auto [bytes, close] = script_(c, requests_[static_cast<std::size_t>(c)]++);
          co_await s.write(bytes);
          if (close) {
            s.close();
            co_return;
          }
        }
      }
    } catch (const tether::uv_error&) {
    }
  }

  script script_;
  net::server srv_;
  std::vector<int> requests_;
  std::vector<net::socket> open_;
  std::vector<promise<>> serving_;
  promise<> accepting_;
};

std::string ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: keep-alive\r\n\r\n" + std::string(body);
}

// The server closes the first connection after answering its first
// request, while the client's agent keeps it idle in its pool. The next
// fetch takes that stale connection, finds it closed before any byte of a
// response, and succeeds on a new connection.
TEST_F(HttpClient, APooledConnectionTheServerClosedIsRetriedOnANewOne) {
  scripted_server server([](int c, int r) -> std::pair<std::string, bool> {
    return {ok("c" + std::to_string(c) + "r" + std::to_string(r)), c == 0};
  });
  http::agent pool;
  std::vector<std::string> bodies;
  std::size_t idle_before = 0;
  auto client = [&]() -> promise<> {
    const std::string url = "127.0.0.1:" + std::to_string(server.port()) + "/";
    http::fetch_options o;
    o.pool = &pool;
    bodies.push_back((co_await http::fetch(url, o)).body);
    co_await tether::delay(20ms);  // the server's close has arrived
    idle_before = pool.idle();
    bodies.push_back((co_await http::fetch(url, o)).body);
    bodies.push_back((co_await http::fetch(url, o)).body);
    pool.close_idle();
    server.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_TRUE(done.is_fulfilled());
  EXPECT_EQ(idle_before, 1u);  // the stale connection was in the pool
  // The second request was never received on connection 0: it went out on 1.
  EXPECT_THAT(bodies, ElementsAre("c0r0", "c1r0", "c1r1"));
  EXPECT_THAT(server.requests(), ElementsAre(1, 2));
}

// The server answers the first request, then cuts the second response
// short and closes. The client has seen part of the response: it must not
// send the request again (it may have had effects); it rejects.
TEST_F(HttpClient, AConnectionClosedMidResponseRejectsAndIsNotRetried) {
  scripted_server server([](int, int r) -> std::pair<std::string, bool> {
    if (r == 0) {
      return {ok("first"), false};
    }
    return {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true};
  });
  http::agent pool;
  std::string first;
  std::string error;
  int status = -1;
  auto client = [&]() -> promise<> {
    const std::string url = "127.0.0.1:" + std::to_string(server.port()) + "/";
    http::fetch_options o;
    o.pool = &pool;
    o.method = "POST";
    first = (co_await http::fetch(url, o)).body;
    try {
      (void)co_await http::fetch(url, o);
    } catch (const http::error& e) {
      error = e.what();
      status = e.status();
    }
    co_await tether::delay(20ms);  // a retry would have connected by now
    pool.close_idle();
    server.close();
  };
  auto done = client();
  ASSERT_TRUE(run_for(20s)) << "the test did not finish: a client still waits";
  EXPECT_EQ(first, "first");
  EXPECT_EQ(status, 0);
  EXPECT_THAT(error, HasSubstr("closed before the response was complete"));
  EXPECT_THAT(server.requests(), ElementsAre(2));  // one connection, each request once
}

}  // namespace
