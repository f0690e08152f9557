// request_context: tether's flagship demo. An HTTP server whose middleware
// puts {request_id, user, order} into an async_local_storage once; the
// handler, the business layer (orders.cpp) and the data-access layer
// (order_store.cpp) log through a logger that reads the store, with fs,
// thread-pool work and timers in between, and never see the request. The
// demo then drives itself with its own keep-alive client and checks every
// answer and every log line for a context mix-up.
//
//   make demo                                   (or ./build/<preset>/examples/request_context)
//   request_context [--requests N] [--concurrency C] [--log PATH]
//
// With OpenTelemetry's variables set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME, ...), it also exports
// its spans over OTLP: one trace per request, the client's CLIENT span the
// parent of the server's SERVER span (docs/trace.md).
//
// Exit status: 0 when every request was answered and nothing was mixed up.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/trace_exporter.hpp>

#include "load.hpp"
#include "logger.hpp"
#include "order_store.hpp"
#include "server.hpp"

namespace {

struct options {
  demo::load_options load;
  std::string log_path = (std::filesystem::temp_directory_path() / "tether-request-context.log").string();
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr, "request_context: %s\nusage: request_context [--requests N] [--concurrency C] [--log PATH]\n",
               problem);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      usage("missing value after an option");
    }
    const char* value = argv[++i];
    if (arg == "--requests") {
      o.load.requests = std::strtoul(value, nullptr, 10);
    } else if (arg == "--concurrency") {
      o.load.concurrency = std::strtoul(value, nullptr, 10);
    } else if (arg == "--log") {
      o.log_path = value;
    } else {
      usage("unknown option");
    }
  }
  if (o.load.requests == 0 || o.load.concurrency == 0) {
    usage("--requests and --concurrency must be positive");
  }
  return o;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

tether::promise<void> serve_and_drive(tether::http::server& server, demo::load_options load,
                                      demo::load_report& report) {
  co_await demo::run_load(load, report);
  server.close();  // the loop ends once the last connection is gone
}

/// OTLP export when OpenTelemetry's variables ask for it (and not
/// OTEL_TRACES_EXPORTER=none): every span ended from then on is exported,
/// and the provider's destructor flushes the rest.
void start_tracing_from_env(std::optional<tether::trace::provider>& tracing) {
  const char* endpoint = std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    endpoint = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  }
  const char* exporter = std::getenv("OTEL_TRACES_EXPORTER");
  if (endpoint == nullptr || *endpoint == '\0' || (exporter != nullptr && std::strcmp(exporter, "none") == 0)) {
    return;
  }
  tracing.emplace(std::make_shared<tether::trace::otlp_exporter>(), tether::trace::sampler::from_env());
  std::printf("request_context: exporting spans over OTLP to %s\n", endpoint);
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);
  std::optional<tether::trace::provider> tracing;
  try {
    start_tracing_from_env(tracing);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request_context: tracing: %s\n", e.what());
    return 1;
  }

  // Which async resources a request costs: counted by an init-only hook.
  std::map<std::string, std::size_t, std::less<>> resources;
  tether::async_hook counter = tether::create_hook(
      {.init = [&](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
        auto it = resources.find(type);
        if (it == resources.end()) {
          it = resources.emplace(std::string(type), 0).first;
        }
        ++it->second;
      }});
  counter.enable();

  demo::order_store store;
  demo::load_report report;
  try {
    tether::event_loop loop;
    tether::http::server server = tether::http::server::listen(
        "127.0.0.1", 0, demo::with_request_context(demo::order_handler(store)));
    demo::load_options load = opts.load;
    load.port = server.port();
    tether::promise<void> done = serve_and_drive(server, load, report);
    loop.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request_context: %s\n", e.what());
    return 1;
  }
  counter.disable();

  const auto& lines = demo::log().lines();
  demo::check_log(lines, report);
  std::ofstream(opts.log_path) << demo::log().render();

  const std::size_t mixups = report.response_mixups + report.log_mixups;
  std::printf("request_context: %zu requests, %zu concurrent, HTTP/1.1 keep-alive on 127.0.0.1\n",
              report.sent, opts.load.concurrency);
  std::printf("  answered        %zu ok, %zu failed\n", report.answered, report.failed);
  for (const std::string& e : report.errors) {
    std::printf("    error: %s\n", e.c_str());
  }
  std::printf("  throughput      %.0f req/s (%.2f s)\n",
              report.seconds > 0 ? static_cast<double>(report.sent) / report.seconds : 0.0, report.seconds);
  std::printf("  latency         p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              percentile(report.latencies_ms, 0.50), percentile(report.latencies_ms, 0.99),
              percentile(report.latencies_ms, 1.0));
  std::printf("  log lines       %zu, each checked against its request\n", lines.size());
  std::printf("  resources      ");
  for (const char* type : {"HTTPINCOMINGMESSAGE", "HTTPCLIENTREQUEST", "TCPWRAP", "PROMISE",
                           "FSREQPROMISE", "QUEUEWORK", "Timeout"}) {
    auto it = resources.find(std::string_view(type));
    std::printf(" %s %zu", type, it == resources.end() ? 0 : it->second);
  }
  std::printf("\n  context mix-ups %zu (%zu in answers, %zu in log lines)\n", mixups,
              report.response_mixups, report.log_mixups);
  std::printf("  log             %s\n", opts.log_path.c_str());

  // One request's trail through the layers, as the logger saw it.
  const std::string sample = "req-" + std::to_string(report.sent / 2 + 1);
  std::printf("  %s's log lines (the layers never saw the request):\n", sample.c_str());
  for (const demo::log_line& line : lines) {
    if (line.request_id == sample) {
      std::printf("    [%s order=%llu] %s\n", line.request_id.c_str(),
                  static_cast<unsigned long long>(line.store_order), line.text.c_str());
    }
  }
  return mixups == 0 && report.failed == 0 && report.answered == report.sent ? 0 : 1;
}
