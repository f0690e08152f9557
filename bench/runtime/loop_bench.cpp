// The event loop's scheduling paths, one workload each, 1,000,000 operations
// per run, without and with a counting hook (bench/runtime/counting_hook.hpp);
// bench/compare.py puts them beside Node (bench/node/runtime_*.js) and the
// raw libuv / plain C++ floors (bench/uv/):
//   BM_ImmediateChain  each immediate schedules the next: one loop turn each,
//                      as in Node. Floor: BM_UvImmediateChain.
//                      Target <= 1.1x the floor (<= 1.15x with the hook).
//   BM_TimerBatch      set_timeout(f) with 0 ms (1 ms, as Node) in batches of
//                      1000: the last of a batch schedules the next. CPU time
//                      per timer (wall time also counts each batch's 1 ms
//                      wait). Floor: BM_UvTimerBatch. Target <= 100 ns
//                      (<= 130 ns with the hook).
//   BM_TickChain       each next_tick callback queues the next, all in one
//                      drain. Floor: BM_FunctionChain. Target <= 20 ns
//                      (<= 35 ns with the hook).
// Every run also reports its minor page faults ("minflt"): steady-state
// scheduling reuses pooled nodes, so the count must not grow with the ops.

#include <benchmark/benchmark.h>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "counting_hook.hpp"
#include "support/run_stats.hpp"

namespace {

using tether_bench::counting_hook;
using tether_bench::ops_per_run;
using tether_bench::page_faults;
using tether_bench::timer_batch;

// The first state.KeepRunning() starts the benchmark's clocks, the last
// (false) one stops them, so building and tearing down the loop is not timed.
struct immediate_chain {
  benchmark::State& state;
  void step() {
    if (state.KeepRunning()) {
      tether::set_immediate([this] { step(); });
    }
  }
};

void BM_ImmediateChain(benchmark::State& state, bool hooked) {
  const page_faults faults;
  const counting_hook hook(hooked);
  {
    tether::event_loop loop;
    immediate_chain chain{state};
    chain.step();
    loop.run();
  }
  hook.check(state, {counting_hook::init, counting_hook::before, counting_hook::after,
                     counting_hook::destroy});
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ImmediateChain, no_hook, false)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_ImmediateChain, counting_hook, true)->Iterations(ops_per_run);

struct timer_batches {
  benchmark::State& state;
  int pending = 0;
  void schedule() {
    if (!state.KeepRunningBatch(timer_batch)) {
      return;
    }
    pending = timer_batch;
    for (int i = 0; i < timer_batch; ++i) {
      tether::set_timeout([this] { fire(); });
    }
  }
  void fire() {
    if (--pending == 0) {
      schedule();
    }
  }
};

void BM_TimerBatch(benchmark::State& state, bool hooked) {
  const page_faults faults;
  const counting_hook hook(hooked);
  {
    tether::event_loop loop;
    timer_batches batches{state};
    batches.schedule();
    loop.run();
  }
  hook.check(state, {counting_hook::init, counting_hook::before, counting_hook::after,
                     counting_hook::destroy});
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_TimerBatch, no_hook, false)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_TimerBatch, counting_hook, true)->Iterations(ops_per_run);

struct tick_chain {
  benchmark::State& state;
  void step() {
    if (state.KeepRunning()) {
      tether::next_tick([this] { step(); });
    }
  }
};

void BM_TickChain(benchmark::State& state, bool hooked) {
  const page_faults faults;
  const counting_hook hook(hooked);
  {
    tether::event_loop loop;
    tick_chain chain{state};
    chain.step();
    loop.run();
  }
  hook.check(state, {counting_hook::init, counting_hook::before, counting_hook::after,
                     counting_hook::destroy});
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_TickChain, no_hook, false)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_TickChain, counting_hook, true)->Iterations(ops_per_run);

}  // namespace
