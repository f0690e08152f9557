// The cost of one async resource's life (create, one callback, destroy) with
// no hook, one counting hook and four, through the two doors a resource comes
// in by:
//   BM_ResourceCycle     async_resource + run_in_async_scope + emit_destroy
//                        (what user code pays; bench/node/async_resource_cycle.js
//                        is the same loop in Node)
//   BM_IntegrationCycle  a runtime's own `struct op : resource` with emit_init
//                        + callback_scope + emit_destroy (what an event loop
//                        or the Asio adapter pays per operation)
// The no-hook row of each is the baseline for the hook rows in the same run.
// Targets (bench/README.md): no hook <= 25 ns, one counting hook <= 2x that.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/integration.hpp>

namespace {

// One hook's event counts. Each hook gets its own, so four hooks do four
// separate increments per event, as four independent tools would.
struct event_counts {
  std::uint64_t init = 0;
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  std::uint64_t destroy = 0;
};

tether::hook_callbacks counting_callbacks(event_counts& c) {
  return tether::hook_callbacks{
      .init = [&c](tether::async_id, std::string_view, tether::async_id,
                   tether::resource&) { ++c.init; },
      .before = [&c](tether::async_id) { ++c.before; },
      .after = [&c](tether::async_id) { ++c.after; },
      .destroy = [&c](tether::async_id) { ++c.destroy; },
  };
}

// `count` enabled counting hooks for the lifetime of one benchmark run.
class counting_hooks {
 public:
  explicit counting_hooks(int count) : counts_(static_cast<std::size_t>(count)) {
    hooks_.reserve(counts_.size());
    for (event_counts& c : counts_) {
      hooks_.push_back(tether::create_hook(counting_callbacks(c)));
      hooks_.back().enable();
    }
  }

  // Every hook saw exactly one init/before/after/destroy per iteration;
  // otherwise the benchmark measured something else and says so.
  void check(benchmark::State& state) const {
    const auto n = static_cast<std::uint64_t>(state.iterations());
    for (const event_counts& c : counts_) {
      if (c.init != n || c.before != n || c.after != n || c.destroy != n) {
        state.SkipWithError("a counting hook missed events");
        return;
      }
    }
  }

 private:
  std::vector<event_counts> counts_;  // sized once: the callbacks hold references
  std::vector<tether::async_hook> hooks_;
};

// Stands in for the user's callback. The compiler barrier makes the body
// opaque, like a real callback, so the execution-context stores made on scope
// entry cannot be elided as dead against the restores made on exit.
constexpr auto opaque_callback = [] { benchmark::ClobberMemory(); };

void BM_ResourceCycle(benchmark::State& state, int hook_count) {
  counting_hooks hooks(hook_count);
  for (auto _ : state) {
    tether::async_resource r("Job");
    r.run_in_async_scope(opaque_callback);
    r.emit_destroy();
    benchmark::DoNotOptimize(&r);
  }
  hooks.check(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ResourceCycle, no_hook, 0);
BENCHMARK_CAPTURE(BM_ResourceCycle, one_counting_hook, 1);
BENCHMARK_CAPTURE(BM_ResourceCycle, four_hooks, 4);

// A runtime's operation: the resource is a base sub-object of memory the
// runtime already allocated (here: the stack), so no allocation is involved.
struct op : tether::resource {
  int payload = 0;
};

void BM_IntegrationCycle(benchmark::State& state, int hook_count) {
  counting_hooks hooks(hook_count);
  for (auto _ : state) {
    op o;
    tether::emit_init(o, "Job");
    {
      tether::callback_scope scope(o);
      opaque_callback();
    }
    tether::emit_destroy(o);
    benchmark::DoNotOptimize(&o);
  }
  hooks.check(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_IntegrationCycle, no_hook, 0);
BENCHMARK_CAPTURE(BM_IntegrationCycle, one_counting_hook, 1);

}  // namespace
