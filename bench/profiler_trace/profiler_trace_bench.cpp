// What the span seam adds to the recorder when tether::trace is linked
// (docs/profiler.md "Trace and span ids"): a bare resource life (init,
// before, after, destroy) recorded with no span active, under one span
// (the before compares 24 bytes and writes nothing more), and alternating
// between two spans (every before also pushes a span event). Compare with
// tether_profiler_bench's BM_ResourceLife/recording:1, built without the
// trace layer.

#include <benchmark/benchmark.h>

#include <filesystem>

#include <tether/integration.hpp>
#include <tether/profiler.hpp>
#include <tether/trace.hpp>

namespace {

namespace trace = tether::trace;

std::string trace_path() {
  return (std::filesystem::temp_directory_path() / "tether-profiler-trace-bench.tether").string();
}

struct op : tether::resource {};

void life() {
  op o;
  tether::emit_init(o, "Op");
  { tether::callback_scope s(o); }
  tether::emit_destroy(o);
}

trace::context with_span(const char* trace_hex, const char* span_hex) {
  trace::span_context c;
  c.trace = *trace::trace_id::from_hex(trace_hex);
  c.span = *trace::span_id::from_hex(span_hex);
  return trace::context().with_span(c);
}

// 0: no span; 1: one span; 2: two spans, alternating.
void BM_ResourceLifeWithTraceLinked(benchmark::State& state) {
  const auto mode = state.range(0);
  const trace::context a = with_span("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa1");
  const trace::context b = with_span("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbb2");
  tether::profiler::start({.path = trace_path()});
  bool flip = false;
  for (auto _ : state) {
    if (mode == 0) {
      life();
    } else if (mode == 1) {
      a.run(life);
    } else {
      (flip ? a : b).run(life);
      flip = !flip;
    }
  }
  const auto s = tether::profiler::stop();
  state.counters["dropped"] = static_cast<double>(s.dropped);
}
BENCHMARK(BM_ResourceLifeWithTraceLinked)->Arg(0)->Arg(1)->Arg(2)->ArgName("spans");

// The context switch alone (async_local_storage::run), for subtracting.
void BM_RunInSpanWithoutRecording(benchmark::State& state) {
  const trace::context a = with_span("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa1");
  for (auto _ : state) a.run(life);
}
BENCHMARK(BM_RunInSpanWithoutRecording);

}  // namespace
