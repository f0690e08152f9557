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

namespace {

struct request_context {
  std::uint64_t request_id = 0;
};

tether::async_local_storage<request_context> context;
std::uint64_t requests = 0;
// Written by the loop thread only, read by the signal handler: a relaxed
// load + store, not a locked increment, so the hook costs what Node's does.
std::atomic<std::uint64_t> events{0};
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
  char line[96];
  const int n = std::snprintf(line, sizeof line, "tether_http_server: %llu requests, %llu hook events\n",
                              static_cast<unsigned long long>(requests),
                              static_cast<unsigned long long>(events.load()));
  (void)!::write(2, line, static_cast<std::size_t>(n));
  ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const std::string_view mode = argc > 2 ? argv[2] : "plain";
  if (mode != "plain" && mode != "context" && mode != "stack_traces") {
    std::fprintf(stderr, "tether_http_server: unknown mode '%s' (plain, context or stack_traces)\n",
                 argv[2]);
    return 2;
  }
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
  tether::http::server server =
      tether::http::server::listen("127.0.0.1", static_cast<std::uint16_t>(port), std::move(handler));
  std::printf("listening %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  loop.run();
}
