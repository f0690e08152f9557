// http::fetch's timeout: a peer that never answers is given up on (the
// connection closed, uv_error ETIMEDOUT), and a timely answer is untouched.
#include <tether/http.hpp>

#include <gtest/gtest.h>

#include <chrono>

#include <tether/event_loop.hpp>
#include <tether/net.hpp>
#include <tether/uv_error.hpp>

namespace {

using namespace std::chrono_literals;
namespace http = tether::http;

TEST(FetchTimeout, APeerThatNeverAnswersTimesOut) {
  tether::event_loop loop;
  tether::net::server silent = tether::net::server::listen("127.0.0.1", 0);
  tether::net::socket held;  // accepted and never read from or written to
  silent.on_connection([&](tether::net::socket s) { held = std::move(s); });
  std::error_code seen;
  const auto start = std::chrono::steady_clock::now();
  auto go = [&]() -> tether::promise<void> {
    http::fetch_options o;
    o.timeout = 100ms;
    try {
      (void)co_await http::fetch("127.0.0.1:" + std::to_string(silent.port()) + "/", std::move(o));
    } catch (const tether::uv_error& e) {
      seen = e.code();
    }
    held = {};
    silent.close();
  };
  tether::promise<void> done = go();
  loop.run();
  EXPECT_EQ(seen, std::errc::timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
}

TEST(FetchTimeout, ATimelyAnswerIsUntouchedAndTheTimerDoesNotHoldTheLoop) {
  tether::event_loop loop;
  http::server s = http::server::listen("127.0.0.1", 0, [](http::request&, http::response& res) {
    return res.end("fine");
  });
  int status = 0;
  auto go = [&]() -> tether::promise<void> {
    http::fetch_options o;
    o.timeout = 60s;
    http::client_response r = co_await http::fetch("127.0.0.1:" + std::to_string(s.port()) + "/", std::move(o));
    status = r.status;
    s.close();
  };
  const auto start = std::chrono::steady_clock::now();
  tether::promise<void> done = go();
  loop.run();  // returns once the server is closed: the 60 s timer was cleared
  EXPECT_EQ(status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

}  // namespace
