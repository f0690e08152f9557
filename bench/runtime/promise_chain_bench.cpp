// promise<T> hot path: a coroutine awaiting a tiny coroutine in a loop.
// Each iteration is one await: the tiny coroutine's frame (per-thread frame
// cache), its PROMISE init/resolve/destroy, the reaction microtask and the
// resumption inside the awaiting coroutine's own scope.
//   BM_AwaitChain/no_hook                     target <= 30 ns per await
//   BM_AwaitChain/counting_hook               init/before/after/destroy/
//                                             promise_resolve counted, <= 60 ns
//   BM_AwaitChainGetStore/no_store            get_store() after each await
//   BM_AwaitChainGetStore/store_active        the same inside als.run(): target
//                                             <= 1.1x no_store
//   BM_ThenChain                              p.then(f) on a settled promise:
//                                             one derived PROMISE per iteration
// The same loop in Node (`async function tiny() { return 1 }`, `await tiny()`
// in a loop) costs a few hundred ns per await on the machine these targets
// were set on. No allocation happens per await once the frame cache is warm.

#include <benchmark/benchmark.h>

#include <cstddef>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

namespace {

tether::promise<int> tiny() { co_return 1; }

tether::promise<> await_loop(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await tiny());
  }
}

tether::promise<> await_loop_get_store(benchmark::State& state,
                                       tether::async_local_storage<int>& als) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await tiny());
    benchmark::DoNotOptimize(als.get_store());
  }
}

void BM_AwaitChain(benchmark::State& state) {
  const bool counting = state.range(0) != 0;
  std::size_t events = 0;
  tether::async_hook hook;
  if (counting) {
    tether::hook_callbacks cb;
    cb.init = [&](tether::async_id, std::string_view, tether::async_id, tether::resource&) {
      ++events;
    };
    cb.before = [&](tether::async_id) { ++events; };
    cb.after = [&](tether::async_id) { ++events; };
    cb.destroy = [&](tether::async_id) { ++events; };
    cb.promise_resolve = [&](tether::async_id) { ++events; };
    hook = tether::create_hook(std::move(cb));
    hook.enable();
  }
  tether::event_loop loop;
  tether::promise<> p = await_loop(state);
  loop.run();
  benchmark::DoNotOptimize(events);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(counting ? "counting_hook" : "no_hook");
}
BENCHMARK(BM_AwaitChain)->Arg(0)->Arg(1);

void BM_AwaitChainGetStore(benchmark::State& state) {
  const bool store = state.range(0) != 0;
  tether::async_local_storage<int> als;
  tether::event_loop loop;
  tether::promise<> p;
  if (store) {
    als.run(7, [&] { p = await_loop_get_store(state, als); });
  } else {
    p = await_loop_get_store(state, als);
  }
  loop.run();
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(store ? "store_active" : "no_store");
}
BENCHMARK(BM_AwaitChainGetStore)->Arg(0)->Arg(1);

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
