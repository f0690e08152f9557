// promise<T> hot path: a coroutine awaiting a tiny coroutine in a loop.
// Each iteration is one await: the tiny coroutine's frame (per-thread frame
// cache), its PROMISE init/resolve/destroy, the reaction microtask and the
// resumption inside the awaiting coroutine's own scope. 1,000,000 awaits per
// run, like bench/node/runtime_await*.js; bench/compare.py puts them beside
// Node and the plain coroutine floor (bench/uv/plain_cpp_bench.cpp,
// BM_CoroutineAwait).
//   BM_AwaitChain/no_hook                     target <= 30 ns per await
//   BM_AwaitChain/counting_hook               init/before/after/destroy/
//                                             promise_resolve counted, <= 60 ns
//   BM_AwaitChainGetStore/no_store            get_store() after each await
//   BM_AwaitChainGetStore/store_active        the same inside als.run(): target
//                                             <= 1.1x no_store
//   BM_ThenChain                              p.then(f) on a settled promise:
//                                             one derived PROMISE per iteration
// No allocation happens per await once the frame cache is warm (the "minflt"
// counter of each run shows the pages touched).

#include <benchmark/benchmark.h>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "counting_hook.hpp"
#include "support/run_stats.hpp"

namespace {

using tether_bench::counting_hook;
using tether_bench::ops_per_run;
using tether_bench::page_faults;

tether::promise<int> tiny() { co_return 1; }

tether::promise<> await_loop(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await tiny());
  }
}

tether::promise<> await_loop_get_store(benchmark::State& state,
                                       tether::async_local_storage<int>& als, const int* expected) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await tiny());
    if (als.get_store() != expected) [[unlikely]] {
      state.SkipWithError("get_store() after an await returned the wrong store");
      break;
    }
  }
}

void BM_AwaitChain(benchmark::State& state, bool hooked) {
  const page_faults faults;
  const counting_hook hook(hooked);
  {
    tether::event_loop loop;
    tether::promise<> p = await_loop(state);
    loop.run();
  }
  hook.check(state, {counting_hook::init, counting_hook::before, counting_hook::after,
                     counting_hook::destroy, counting_hook::promise_resolve});
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_AwaitChain, no_hook, false)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_AwaitChain, counting_hook, true)->Iterations(ops_per_run);

void BM_AwaitChainGetStore(benchmark::State& state, bool store) {
  const page_faults faults;
  {
    tether::async_local_storage<int> als;
    tether::event_loop loop;
    tether::promise<> p;
    if (store) {
      als.run(7, [&] { p = await_loop_get_store(state, als, als.get_store()); });
    } else {
      p = await_loop_get_store(state, als, nullptr);
    }
    loop.run();
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_AwaitChainGetStore, no_store, false)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_AwaitChainGetStore, store_active, true)->Iterations(ops_per_run);

void BM_ThenChain(benchmark::State& state) {
  tether::event_loop loop;
  const tether::promise<int> settled = tether::promise<int>::resolve(1);
  for (auto _ : state) {
    auto d = settled.then([](int v) { return v + 1; });
    loop.run();
    benchmark::DoNotOptimize(d.is_fulfilled());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThenChain);

}  // namespace
