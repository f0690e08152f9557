// docs/trace.md: spans of your own, the context across a timer, W3C parsing.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

namespace trace = tether::trace;

int main() {
  auto spans = std::make_shared<trace::memory_exporter>();  // tests; otlp_exporter sends
  trace::span_context handle_context;
  {
    trace::provider tracing(spans);
    tether::event_loop loop;
    trace::span handle = trace::start_span("handle order", trace::span_kind::server);
    handle.set_attribute("order.id", std::string("o-7"));
    handle_context = handle.context();
    handle.run([] {  // current in everything it starts: the timer, its callback
      tether::set_timeout([] { trace::span load = trace::start_span("load order"); },
                          std::chrono::milliseconds(1));
    });
    loop.run();
    handle.end();
  }  // ~provider: flushed

  // "load order" ended first, a child of "handle order" in the same trace.
  const auto ended = spans->spans();
  const bool spans_ok = ended.size() == 2 && ended[0].name == "load order" &&
                        ended[0].context.trace == handle_context.trace &&
                        ended[0].parent == handle_context.span && !ended[1].parent.valid();

  const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::optional<trace::span_context> parsed = trace::parse_traceparent(header);
  const bool w3c_ok = parsed && parsed->valid() && trace::format_traceparent(*parsed) == header &&
                      !trace::parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  return spans_ok && w3c_ok ? 0 : 1;
}
