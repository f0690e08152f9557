// The HTTP benchmark's tether server (bench/http/run.py loads it with wrk,
// beside bench/http/node_server.js doing the same in Node).
//
//   tether_http_server <port> <mode>
//   mode: plain    - no async_local_storage, no hook
//         context  - a middleware puts {request_id} into an
//                    async_local_storage that the handler reads back, and
//                    one counting hook (init/before/after/destroy/
//                    promise_resolve) is enabled
//         stack_traces - plain, with tether::stack_trace capturing a
//                    creation stack at every init (when the build has it)
//         traced_out - tether_http_server_traced only (it links
//                    tether::trace): every request gets a SERVER span, the
//                    sampler drops them all
//         traced   - the same, every span sampled and sent by the OTLP
//                    exporter to OTEL_EXPORTER_OTLP_ENDPOINT
//                    (bench/http/otlp_sink.py)
// GET /big answers 256 MiB, 64 KiB per awaited write (bench/http/attack.py).
// Prints "listening <port>" once ready; runs until SIGTERM/SIGINT.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#if TETHER_HTTP_SERVER_STACK_TRACES
#include <tether/stack_trace.hpp>
#endif
#if TETHER_HTTP_SERVER_TRACE
#include <memory>
#include <optional>

#include <tether/timers.hpp>
#include <tether/trace_exporter.hpp>
#endif

namespace {

struct request_context {
  std::uint64_t request_id = 0;
};

tether::async_local_storage<request_context> context;
std::uint64_t requests = 0;
// Written by the loop thread only, read by the signal handler: a relaxed
// load + store, not a locked increment, so the hook costs what Node's does.
std::atomic<std::uint64_t> events{0};
// Spans the exporter had sent at its last check (traced mode), for the line
// printed at exit.
std::atomic<std::uint64_t> spans_exported{0};
std::atomic<std::uint64_t> spans_dropped{0};
void count_event() noexcept { events.store(events.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }

tether::promise<void> respond(tether::http::response& res, std::uint64_t id) {
  res.set_header("content-type", "text/plain");
  return res.end("hello " + std::to_string(id) + "\n");
}

// GET /big: 256 MiB written 64 KiB at a time, each write awaited (what
// bench/http/attack.py's slow reader asks for).
tether::promise<void> big(tether::http::response& res) {
  const std::string piece(64 * 1024, 'x');
  for (int i = 0; i < 4096; ++i) {
    co_await res.write(piece);
  }
  co_await res.end();
}

void on_signal(int) {
  char line[160];
  const int n = std::snprintf(line, sizeof line,
                              "tether_http_server: %llu requests, %llu hook events, %llu spans exported, "
                              "%llu dropped\n",
                              static_cast<unsigned long long>(requests),
                              static_cast<unsigned long long>(events.load()),
                              static_cast<unsigned long long>(spans_exported.load()),
                              static_cast<unsigned long long>(spans_dropped.load()));
  (void)!::write(2, line, static_cast<std::size_t>(n));
  ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const std::string_view mode = argc > 2 ? argv[2] : "plain";
  if (mode != "plain" && mode != "context" && mode != "stack_traces" && mode != "traced_out" &&
      mode != "traced") {
    std::fprintf(stderr,
                 "tether_http_server: unknown mode '%s' (plain, context, stack_traces, traced_out or traced)\n",
                 argv[2]);
    return 2;
  }
#if TETHER_HTTP_SERVER_TRACE
  std::shared_ptr<tether::trace::otlp_exporter> exporter;
  std::optional<tether::trace::provider> tracing;
  if (mode == "traced_out" || mode == "traced") {
    exporter = std::make_shared<tether::trace::otlp_exporter>();
    tracing.emplace(exporter, mode == "traced" ? tether::trace::sampler::always_on()
                                               : tether::trace::sampler::always_off());
  }
#else
  if (mode == "traced_out" || mode == "traced") {
    std::fprintf(stderr, "tether_http_server: this binary has no tether::trace (tether_http_server_traced has)\n");
    return 2;
  }
#endif
  if (mode == "stack_traces") {
#if TETHER_HTTP_SERVER_STACK_TRACES
    tether::set_stack_trace_options({});
#else
    std::fprintf(stderr, "tether_http_server: built without tether::stack_trace\n");
    return 2;
#endif
  }
  ::signal(SIGTERM, on_signal);
  ::signal(SIGINT, on_signal);

  tether::async_hook counter = tether::create_hook({
      .init = [](tether::async_id, std::string_view, tether::async_id, tether::resource&) { count_event(); },
      .before = [](tether::async_id) { count_event(); },
      .after = [](tether::async_id) { count_event(); },
      .destroy = [](tether::async_id) { count_event(); },
      .promise_resolve = [](tether::async_id) { count_event(); },
  });

  tether::http::handler handler;
  if (mode == "context") {
    counter.enable();
    handler = [](tether::http::request& req, tether::http::response& res) {
      return context.run(request_context{++requests}, [&req, &res] {
        return req.path() == "/big" ? big(res) : respond(res, context.get_store()->request_id);
      });
    };
  } else {
    handler = [](tether::http::request& req, tether::http::response& res) {
      return req.path() == "/big" ? big(res) : respond(res, ++requests);
    };
  }

  tether::event_loop loop;
#if TETHER_HTTP_SERVER_TRACE
  tether::timeout stats_check;
  if (exporter) {  // what the signal handler prints
    stats_check = tether::set_interval(
        [&exporter] {
          const tether::trace::otlp_stats st = exporter->stats();
          spans_exported.store(st.exported);
          spans_dropped.store(st.dropped);
        },
        std::chrono::milliseconds(200));
  }
#endif
  tether::http::server server =
      tether::http::server::listen("127.0.0.1", static_cast<std::uint16_t>(port), std::move(handler));
  std::printf("listening %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  loop.run();
}
