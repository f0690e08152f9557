// perf_hooks' hot paths, beside Node (bench/node/runtime_perf_hooks.js);
// bench/compare.py puts them in the runtime table:
//   BM_Mark              performance::mark("m"): the clock, the entry, the
//                        timeline (cleared every 65536 marks, inside the
//                        timing, as a program bounding its timeline would).
//                        Target <= 100 ns.
//   BM_HistogramRecord   recordable_histogram::record of varying values.
//                        Target <= 10 ns.
//   BM_ImmediateChainDelayMonitor  BM_ImmediateChain (loop_bench.cpp) with
//                        monitor_event_loop_delay enabled (10 ms resolution).
//                        Target <= 1.02x BM_ImmediateChain/no_hook.

#include <benchmark/benchmark.h>

#include <cstdint>

#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

#include "support/run_stats.hpp"

namespace {

using tether_bench::ops_per_run;
using tether_bench::page_faults;

void BM_Mark(benchmark::State& state) {
  namespace performance = tether::performance;
  performance::clear_marks();
  std::uint32_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(performance::mark("m"));
    if ((++n & 0xFFFF) == 0) {
      performance::clear_marks();
    }
  }
  performance::clear_marks();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Mark)->Iterations(ops_per_run);

void BM_HistogramRecord(benchmark::State& state) {
  auto h = tether::create_histogram();
  std::int64_t v = 1;
  for (auto _ : state) {
    h.record(v);
    v = (v * 1103515245 + 12345) & 0xFFFFFFF;  // spread over the buckets
    v += 1;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord)->Iterations(ops_per_run * 10);

struct immediate_chain {
  benchmark::State& state;
  void step() {
    if (state.KeepRunning()) {
      tether::set_immediate([this] { step(); });
    }
  }
};

void BM_ImmediateChainDelayMonitor(benchmark::State& state) {
  const page_faults faults;
  {
    tether::event_loop loop;
    auto delay = tether::monitor_event_loop_delay();
    delay.enable();
    immediate_chain chain{state};
    chain.step();
    loop.run();
    delay.disable();
    state.counters["delay_samples"] = static_cast<double>(delay.count());
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ImmediateChainDelayMonitor)->Iterations(ops_per_run);

}  // namespace
