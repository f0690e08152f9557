// docs/http.md: Node's AsyncLocalStorage example (an id per request, seen by
// everything the request's handler awaits) on tether's HTTP server, and
// fetch() with headers, in the form every compiler accepts.
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace http = tether::http;

tether::async_local_storage<int> request_id;
std::vector<std::string> lines;

void log_with_id(const std::string& msg) {
  const int* id = request_id.get_store();
  lines.push_back((id != nullptr ? std::to_string(*id) : "-") + ": " + msg);
}

tether::promise<std::vector<std::string>> two_requests(std::string url) {
  http::headers h{{"x-client", "snippet"}};  // named: g++ 12 rejects {{...}} inside co_await
  std::vector<tether::promise<http::client_response>> both;
  both.push_back(http::fetch("GET", url, {}, h));
  both.push_back(http::fetch("GET", url, {}, std::move(h)));
  std::vector<http::client_response> responses = co_await tether::all(std::move(both));
  std::vector<std::string> bodies;
  for (const http::client_response& r : responses) {
    bodies.push_back(r.body);
  }
  co_return bodies;
}

int main() {
  tether::event_loop loop;
  int next_id = 0;
  auto srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> tether::promise<> {
    request_id.enter_with(next_id++);  // for this request's handler, and all it awaits
    log_with_id("start");
    co_await tether::delay(1ms);
    log_with_id("finish");
    co_await res.end("id " + std::to_string(*request_id.get_store()) + " for " + std::string(req.header("x-client")));
  });
  log_with_id("outside");  // no store here: "-"

  std::vector<std::string> bodies;
  auto client = two_requests("127.0.0.1:" + std::to_string(srv.port()) + "/").then([&](std::vector<std::string> b) {
    bodies = std::move(b);
    srv.close();
  });
  loop.run();

  for (const std::string& line : lines) {
    tether::debug(line);  // -: outside, 0: start, 1: start, 0: finish, 1: finish (the order may vary)
  }
  std::sort(lines.begin(), lines.end());
  std::sort(bodies.begin(), bodies.end());
  const std::vector<std::string> expected_lines{"-: outside", "0: finish", "0: start", "1: finish", "1: start"};
  const std::vector<std::string> expected_bodies{"id 0 for snippet", "id 1 for snippet"};
  return lines == expected_lines && bodies == expected_bodies ? 0 : 1;
}
