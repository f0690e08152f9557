// The sans-I/O HTTP core's cost per request, for callgrind: parses N
// pipelined requests through message_parser alone, or through
// server_connection answering each at once (parse + framing + serializing).
//
//   valgrind --tool=callgrind ./build/release/bench/tether_http_parse_cost connection 1000
//   valgrind --tool=callgrind ./build/release/bench/tether_http_parse_cost connection 11000
//   (instructions per request = the difference of the totals / 10000)
//
// bench/README.md has the numbers. Two request shapes: wrk's (request line +
// Host) and a browser-like one with eight header fields.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/message_parser.hpp"
#include "http/server_connection.hpp"

namespace {

using namespace tether::http::detail;

constexpr std::string_view wrk_request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
constexpr std::string_view browser_request =
    "GET /api/items?page=2&sort=name HTTP/1.1\r\n"
    "Host: example.com:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=0123456789abcdef; theme=dark\r\n"
    "Cache-Control: max-age=0\r\n"
    "\r\n";

/// Answers every request at once with a 2-byte body.
struct answering final : server_observer {
  server_connection* conn = nullptr;
  std::size_t requests = 0;
  void on_request(request_id id, message_head&) override {
    ++requests;
    response_start r;
    r.content_length = 2;
    conn->start(id, r);
    conn->write(id, "ok");
    conn->end(id);
  }
  void on_request_body(request_id, std::string_view) override {}
  void on_request_end(request_id) override {}
  void on_request_error(request_id, int) override {}
  // Declared without `override` so the driver also builds against a core
  // from before on_upgrade existed (the "before" measurement).
  virtual void on_upgrade(request_id, message_head&, std::string_view) {}
};

std::string_view fixed_date() { return "Thu, 01 Jan 1970 00:00:00 GMT"; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s parser|connection <requests> [browser]\n", argv[0]);
    return 2;
  }
  const std::string_view mode = argv[1];
  const long n = std::strtol(argv[2], nullptr, 10);
  const std::string_view request = argc > 3 ? browser_request : wrk_request;

  // 16 requests per read, as a pipelining client's segments would bring them.
  std::string batch;
  for (int i = 0; i < 16; ++i) {
    batch += request;
  }
  std::size_t seen = 0;
  if (mode == "parser") {
    message_parser p(message_kind::request);
    for (long done = 0; done < n; done += 16) {
      std::string_view in = batch;
      while (!in.empty()) {
        const parse_step s = p.parse(in);
        in.remove_prefix(s.consumed);
        if (s.event == parse_event::end) {
          ++seen;
        } else if (s.event == parse_event::error) {
          std::fprintf(stderr, "parse error %d\n", p.error_status());
          return 1;
        }
      }
    }
  } else {
    answering obs;
    server_limits limits;
    limits.date = &fixed_date;
    server_connection conn(obs, limits);
    obs.conn = &conn;
    std::size_t out = 0;
    for (long done = 0; done < n; done += 16) {
      conn.feed(batch);
      out += conn.take_output().size();
    }
    seen = obs.requests;
    if (out == 0) {
      return 1;
    }
  }
  std::printf("%zu requests\n", seen);
  return 0;
}
