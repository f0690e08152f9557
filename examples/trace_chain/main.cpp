// trace_chain: one tether service of a traced chain. It serves GET on any
// path, calls --downstream (if given) with the same path, and answers JSON
// saying what it saw: the traceparent and baggage it received and the trace
// id it served under. Spans go to the OTLP receiver the standard
// OTEL_EXPORTER_OTLP_* variables name (OTEL_TRACES_EXPORTER=none: none).
//
//   trace_chain --port 8081 --name orders --downstream http://127.0.0.1:8082
//
// Tracing needs nothing in the handler: linking tether::trace makes the
// server extract the caller's context and fetch() send it on. See README.md.

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

namespace http = tether::http;
namespace trace = tether::trace;

namespace {

struct options {
  std::uint16_t port = 0;
  std::string name = "tether";
  std::string downstream;  // "http://host:port", no path
};

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + '"';
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--port") {
      o.port = static_cast<std::uint16_t>(std::stoi(argv[i + 1]));
    } else if (flag == "--name") {
      o.name = argv[i + 1];
    } else if (flag == "--downstream") {
      o.downstream = argv[i + 1];
    } else {
      std::cerr << "usage: trace_chain [--port N] [--name NAME] [--downstream http://host:port]\n";
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);
  // The exporter and its sampler, from the standard variables.
  std::optional<trace::provider> tracing;
  const char* exporter = std::getenv("OTEL_TRACES_EXPORTER");
  if (exporter == nullptr || std::strcmp(exporter, "none") != 0) {
    tracing.emplace(std::make_shared<trace::otlp_exporter>(), trace::sampler::from_env());
  }

  tether::event_loop loop;
  http::server server;
  auto handle = [&](http::request& req, http::response& res) -> tether::promise<void> {
    if (req.method() == "POST" && req.path() == "/quit") {
      server.close();  // the loop ends once the last connection has gone
      co_await res.end("bye");
      co_return;
    }
    std::string answer = "{\"service\":" + quoted(opts.name) +
                         ",\"traceparent\":" + quoted(req.header("traceparent")) +
                         ",\"baggage\":" + quoted(req.header("baggage")) +
                         ",\"traceId\":" + quoted(trace::current().span().trace.to_hex());
    if (!opts.downstream.empty()) {
      const std::string url = opts.downstream + std::string(req.target());
      http::client_response down = co_await http::fetch("GET", url);
      answer += ",\"downstream\":" + down.body;
    }
    answer += "}";
    res.set_header("content-type", "application/json");
    co_await res.end(std::move(answer));
  };
  server = http::server::listen("127.0.0.1", opts.port, handle);
  std::cout << "listening " << server.port() << std::endl;
  loop.run();
  return 0;  // ~provider flushes what is left
}
