// async_local_storage hot paths. Each workload has its Node twin in
// bench/node/als_*.js (same name without the BM_ prefix) and its baseline in
// this binary:
//   BM_GetStore          get_store() with 1 and 8 storages live (each inside
//                        run), and outside any run          target <= 3 ns
//   BM_FramePropagation  async_resource create + destroy with no store, one
//                        store and eight stores current; the difference to
//                        no_store is what capturing the frame costs  <= 5 ns
//   BM_ScopeWithFrame    callback_scope enter/exit on a resource that captured
//                        a frame (context restore) vs one that did not
//   BM_RunNestedResource run + an async_resource made, run and destroyed inside
//   BM_Run               run(int, callback): one frame + one store box
// No hook is enabled anywhere in this file.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/integration.hpp>

namespace {

using int_storage = tether::async_local_storage<int>;

// Stands in for the user's callback (see hooks_bench.cpp).
constexpr auto opaque_callback = [] { benchmark::ClobberMemory(); };

std::vector<std::unique_ptr<int_storage>> make_storages(int count) {
  std::vector<std::unique_ptr<int_storage>> stores;
  for (int i = 0; i < count; ++i) {
    stores.push_back(std::make_unique<int_storage>());
  }
  return stores;
}

// Calls f() inside stores[0].run(1, ...), inside stores[1].run(2, ...), ...
// so that every instance has a store while f runs.
template <class F>
void run_nested(std::span<const std::unique_ptr<int_storage>> stores, F&& f, int value = 1) {
  if (stores.empty()) {
    f();
    return;
  }
  stores.front()->run(value, [&] { run_nested(stores.subspan(1), f, value + 1); });
}

// --- get_store ---------------------------------------------------------------

void BM_GetStore(benchmark::State& state, int storage_count) {
  const auto stores = make_storages(storage_count == 0 ? 1 : storage_count);
  const int_storage& queried = *stores.front();  // the outermost, as Node's benchmark
  const auto measure = [&] {
    const int* expected = queried.get_store();
    if (storage_count != 0 && (expected == nullptr || *expected != 1)) {
      state.SkipWithError("get_store() does not see the run() store");
    }
    for (auto _ : state) {
      benchmark::DoNotOptimize(queried.get_store());
    }
  };
  if (storage_count == 0) {
    measure();  // outside any run: the null answer
  } else {
    run_nested(stores, measure);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_GetStore, outside_run, 0);
BENCHMARK_CAPTURE(BM_GetStore, 1_storage, 1);
BENCHMARK_CAPTURE(BM_GetStore, 8_storages, 8);

// --- frame propagation -------------------------------------------------------

// The whole life of a resource nobody hooks: with a store current, init takes
// one reference on the frame and destruction drops it. The no_store row is
// the baseline; store_active - no_store is the propagation cost.
void BM_FramePropagation(benchmark::State& state, int storage_count) {
  const auto stores = make_storages(storage_count);
  run_nested(stores, [&] {
    for (auto _ : state) {
      tether::async_resource r("Job");
      benchmark::DoNotOptimize(&r);
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_FramePropagation, no_store, 0);
BENCHMARK_CAPTURE(BM_FramePropagation, store_active, 1);
BENCHMARK_CAPTURE(BM_FramePropagation, 8_stores_active, 8);

// --- context restore ---------------------------------------------------------

// callback_scope on a resource made earlier: inside run() (it holds a frame,
// and entering it installs that frame) or outside (it holds none).
void BM_ScopeWithFrame(benchmark::State& state, bool with_frame) {
  int_storage als;
  std::unique_ptr<tether::async_resource> r;
  if (with_frame) {
    als.run(7, [&] { r = std::make_unique<tether::async_resource>("Job"); });
  } else {
    r = std::make_unique<tether::async_resource>("Job");
  }
  {
    tether::callback_scope scope(*r);
    const int* seen = als.get_store();
    if ((seen != nullptr) != with_frame) {
      state.SkipWithError("the resource's captured frame is not the expected one");
    }
  }
  for (auto _ : state) {
    tether::callback_scope scope(*r);
    opaque_callback();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ScopeWithFrame, no_frame, false);
BENCHMARK_CAPTURE(BM_ScopeWithFrame, with_frame, true);

// --- run ---------------------------------------------------------------------

void BM_RunNestedResource(benchmark::State& state) {
  int_storage als;
  int store = 0;
  for (auto _ : state) {
    als.run(++store, [&] {
      tether::async_resource r("Job");
      r.run_in_async_scope([&] { benchmark::DoNotOptimize(als.get_store()); });
      r.emit_destroy();
    });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunNestedResource);

void BM_Run(benchmark::State& state) {
  int_storage als;
  int store = 0;
  for (auto _ : state) {
    als.run(++store, opaque_callback);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Run);

}  // namespace
