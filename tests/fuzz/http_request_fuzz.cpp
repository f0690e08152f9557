// libFuzzer target for the HTTP request path: message_parser (requests and
// responses) and server_connection, sans I/O.
//
// Besides "no crash, no sanitizer report", it checks one property: the
// verdict does not depend on how the bytes were split into reads. Each
// input is parsed whole and again cut at a position taken from its first
// two bytes; the events (heads with their fields, bodies, ends, the error
// status, what a close of the connection then says) must be identical. A
// difference calls __builtin_trap().
//
// Input: byte 0 and the low 4 bits of byte 1 give the cut; the high 4 bits
// of byte 1 set server_connection's options (1: an upgrade handler, 2: a
// CONNECT handler, 4: max_requests_per_socket = 3, 8: the request timeout
// fires at the end instead of the header timeout); the rest is the input.
// on_upgrade must come at most once, with `rest` a suffix of what was fed
// by then, and nothing after it.
//
// Small limits (256-byte heads and trailers, 64-byte bodies, 32 bytes of
// chunk extensions) so that the 431 and 413 paths are reached often.
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   ./build/fuzz/tests/fuzz/http_request_fuzz -max_total_time=60 \
//       /tmp/corpus tests/fuzz/corpus/http_request

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "http/message_parser.hpp"
#include "http/server_connection.hpp"

namespace {

using namespace tether::http::detail;

parser_limits small_limits() {
  parser_limits l;
  l.max_header_size = 256;
  l.max_body_size = 64;
  l.max_chunk_extensions_size = 32;
  return l;
}

/// The events of one parse as text.
std::string run(message_kind kind, std::string_view a, std::string_view b) {
  message_parser p(kind, small_limits());
  std::string log;
  std::string body;
  for (std::string_view in : {a, b}) {
    while (!in.empty()) {
      const parse_step s = p.parse(in);
      if (s.consumed > in.size()) {
        __builtin_trap();
      }
      in.remove_prefix(s.consumed);
      switch (s.event) {
        case parse_event::need_more:
          if (!in.empty() && !p.upgraded()) {
            __builtin_trap();  // need_more must mean "took everything"
          }
          in = {};
          break;
        case parse_event::head: {
          const message_head& h = p.head();
          log += "H " + h.method + ' ' + h.target + ' ' + std::to_string(h.status) + ' ' +
                 h.reason + ' ' + std::to_string(h.version_major) + '.' +
                 std::to_string(h.version_minor) + (h.keep_alive ? " ka" : "") +
                 (h.chunked ? " chunked" : "") + (h.upgrade ? " up" : "") + '\n';
          for (const auto& f : h.fields) {
            log += "  " + f.name + ": " + f.value + '\n';
          }
          break;
        }
        case parse_event::body:
          if (s.body.empty()) {
            __builtin_trap();  // no empty body events
          }
          body.append(s.body);
          break;
        case parse_event::end:
          log += "B " + body + "\nE\n";
          body.clear();
          break;
        case parse_event::error:
          if (p.error_status() == 0) {
            __builtin_trap();
          }
          return log + "X " + std::to_string(p.error_status()) + '\n';
      }
    }
  }
  const parse_step s = p.finish();
  log += s.event == parse_event::end     ? "B " + body + "\nEOF-E\n"
         : s.event == parse_event::error ? "EOF-X " + std::to_string(p.error_status()) + "\n"
                                         : "EOF\n";
  return log;
}

void check_split(message_kind kind, std::string_view input, std::size_t cut) {
  const std::string whole = run(kind, input, {});
  const std::string split = run(kind, input.substr(0, cut), input.substr(cut));
  if (whole != split) {
    std::fprintf(stderr, "split at %zu changes the verdict:\n--- whole\n%s--- split\n%s", cut,
                 whole.c_str(), split.c_str());
    __builtin_trap();
  }
}

/// Answers some requests at once and the rest at the end, in reverse order.
struct answering_observer final : server_observer {
  server_connection* conn = nullptr;
  std::vector<request_id> later;
  std::string fed;  // everything given to feed() so far
  bool upgraded = false;

  void check_not_upgraded() const {
    if (upgraded) {
      __builtin_trap();  // nothing reaches the observer after on_upgrade
    }
  }

  void on_request(request_id id, message_head& head) override {
    check_not_upgraded();
    if (head.expect_continue) {
      conn->write_continue(id);
    }
    if (id % 2 == 0) {
      answer(id, head.target);
    } else {
      later.push_back(id);
    }
  }
  void on_request_body(request_id, std::string_view) override { check_not_upgraded(); }
  void on_request_end(request_id) override { check_not_upgraded(); }
  void on_request_error(request_id, int) override { check_not_upgraded(); }
  void on_upgrade(request_id, message_head& head, std::string_view rest) override {
    check_not_upgraded();
    upgraded = true;
    if (!head.upgrade || rest.size() > fed.size() ||
        fed.compare(fed.size() - rest.size(), rest.size(), rest) != 0) {
      __builtin_trap();  // `rest` is what arrived past an upgrade's head
    }
  }

  void answer(request_id id, std::string_view text) const {
    if (id % 3 == 0) {
      response_start r;
      r.content_length = text.size();
      conn->start(id, r);
      conn->write(id, text);
    } else {
      conn->start(id, response_start{});
      conn->write(id, text);
      conn->write(id, "!");
    }
    conn->end(id);
  }
};

void run_connection(std::string_view input, std::size_t cut, unsigned options) {
  answering_observer obs;
  server_limits limits;
  limits.parser = small_limits();
  limits.max_pipelined = 3;
  limits.date = [] { return std::string_view("Thu, 01 Jan 1970 00:00:00 GMT"); };
  limits.upgrade_handler = (options & 1) != 0;
  limits.connect_handler = (options & 2) != 0;
  limits.max_requests_per_socket = (options & 4) != 0 ? 3 : 0;
  server_connection conn(obs, limits);
  obs.conn = &conn;
  std::string out;
  obs.fed.assign(input.substr(0, cut));
  conn.feed(input.substr(0, cut));
  out += conn.take_output();
  if (!obs.upgraded) {
    obs.fed.append(input.substr(cut));
  }
  conn.feed(input.substr(cut));
  while (!obs.later.empty() || conn.can_resume()) {
    for (auto it = obs.later.rbegin(); it != obs.later.rend(); ++it) {
      obs.answer(*it, "late");
    }
    obs.later.clear();
    conn.resume();
    out += conn.take_output();
  }
  conn.feed_eof();
  if ((options & 8) != 0) {
    conn.request_timeout();
  } else {
    conn.headers_timeout();
  }
  out += conn.take_output();
  if (!out.empty() && out.compare(0, 9, "HTTP/1.1 ") != 0) {
    __builtin_trap();
  }
  if (obs.upgraded && !conn.done()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::size_t cut =
      input.empty() ? 0 : static_cast<std::size_t>(data[0] | ((data[1] & 0x0f) << 8)) % (input.size() + 1);
  const unsigned options = data[1] >> 4;
  check_split(message_kind::request, input, cut);
  check_split(message_kind::response, input, cut);
  run_connection(input, cut, options);
  return 0;
}
