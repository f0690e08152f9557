// The profiler's cost on the runtime's hottest loop: a chain of 1,000,000
// immediates (one loop turn each), plain and while recording (every init,
// before, after and destroy goes to the trace). bench/README.md "Profiler".
// Also: the recorder alone on a bare resource life (4 events), and the size
// of the trace per event (counter bytes_per_event).

#include <benchmark/benchmark.h>

#include <filesystem>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/profiler.hpp>
#include <tether/timers.hpp>

namespace {

constexpr std::int64_t ops = 1'000'000;

std::string trace_path() { return (std::filesystem::temp_directory_path() / "tether-profiler-bench.tether").string(); }

void chain(benchmark::State& state) {
  tether::event_loop loop;
  std::int64_t left = ops;
  std::function<void()> step = [&] {
    if (--left > 0 && state.KeepRunning()) tether::set_immediate(step);
  };
  state.KeepRunning();
  tether::set_immediate(step);
  loop.run();
  while (state.KeepRunning()) {
  }
}

void BM_ImmediateChain(benchmark::State& state) {
  const bool recording = state.range(0) != 0;
  if (recording) tether::profiler::start({.path = trace_path()});
  chain(state);
  if (recording) {
    const auto s = tether::profiler::stop();
    state.counters["dropped"] = static_cast<double>(s.dropped);
    state.counters["bytes_per_event"] =
        s.recorded > 0 ? static_cast<double>(s.bytes_written) / static_cast<double>(s.recorded) : 0.0;
  }
}
BENCHMARK(BM_ImmediateChain)->Arg(0)->Arg(1)->ArgName("recording")->Iterations(ops)->UseRealTime();

struct op : tether::resource {};

void BM_ResourceLife(benchmark::State& state) {
  const bool recording = state.range(0) != 0;
  if (recording) tether::profiler::start({.path = trace_path()});
  for (auto _ : state) {
    op o;
    tether::emit_init(o, "Op");
    { tether::callback_scope s(o); }
    tether::emit_destroy(o);
  }
  if (recording) {
    const auto s = tether::profiler::stop();
    state.counters["dropped"] = static_cast<double>(s.dropped);
  }
}
BENCHMARK(BM_ResourceLife)->Arg(0)->Arg(1)->ArgName("recording");

}  // namespace
