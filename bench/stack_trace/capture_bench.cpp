// tether::stack_trace's costs (targets from issue 10; bench/README.md has
// the table of a run):
//   BM_Walk*            16 return addresses, from 20 frame-pointer frames deep:
//                       the frame-pointer walk (target <= 100 ns per capture,
//                       interning included: BM_CaptureStack), glibc
//                       backtrace() and libunwind's unw_backtrace beside it
//   BM_CaptureStack     walk + intern (a call site seen before: the
//                       per-thread cache hit every init of a hot site takes)
//   BM_ResourceCycle    async_resource create + destroy, capture off / on /
//                       on sampling 1 in 16: on - off is the capture per init
//                       with its record
//   BM_LiveResourceMemory  heap per live resource with capture on minus off
//                       (target <= 16 bytes plus interned stacks)
//   BM_ImmediateChain   1,000,000 immediates per run, each created in the one
//                       before, capture off / on (target: on <= 2x off)
//   BM_Symbolize        a 16-frame stack to text: first time (symbolizer
//                       cache dropped before each run; libdw's own caches
//                       stay warm) and cached
//   BM_TraceAndPrint    async_stack_trace() + to_string() inside a callback

#include <benchmark/benchmark.h>
#include <execinfo.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/stack_trace.hpp>
#include <tether/timers.hpp>

#include "stack_trace/capture.hpp"
#include "stack_trace/records.hpp"
#include "stack_trace/stack_table.hpp"
#include "stack_trace/stack_walk.hpp"
#include "stack_trace/symbolizer.hpp"

namespace {

using tether::detail::current_stack_bounds;
using tether::detail::walk_end;

constexpr std::size_t frames = 16;
constexpr int depth = 20;  // frame-pointer frames under every measurement

/// Runs `f` `n` frames deeper than here: every one a frame-pointer frame, so
/// a 16-frame walk never reaches the benchmark library's own code.
template <class F>
[[gnu::noinline]] void at_depth(int n, F& f) {
  if (n == 0) {
    f();
  } else {
    at_depth(n - 1, f);
  }
  benchmark::ClobberMemory();  // not a tail call: each level stays a frame
}

class capture_options {
 public:
  explicit capture_options(bool on, std::uint32_t sample_every = 1) {
    tether::stack_trace_options o;
    o.enabled = on;
    o.sample_every = sample_every;
    tether::set_stack_trace_options(o);
  }
  ~capture_options() { tether::set_stack_trace_options({.enabled = false}); }
  capture_options(const capture_options&) = delete;
  capture_options& operator=(const capture_options&) = delete;
};

void BM_WalkFramePointers(benchmark::State& state) {
  auto body = [&] {
    std::uintptr_t out[frames];
    const tether::detail::stack_bounds bounds = current_stack_bounds();
    for (auto _ : state) {
      walk_end end{};
      benchmark::DoNotOptimize(tether::detail::walk_frame_pointers(
          reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)), 0, out, frames, bounds,
          end));
      benchmark::ClobberMemory();
    }
  };
  at_depth(depth, body);
}
BENCHMARK(BM_WalkFramePointers);

void BM_WalkGlibcBacktrace(benchmark::State& state) {
  auto body = [&] {
    void* out[frames];
    for (auto _ : state) {
      benchmark::DoNotOptimize(::backtrace(out, static_cast<int>(frames)));
      benchmark::ClobberMemory();
    }
  };
  at_depth(depth, body);
}
BENCHMARK(BM_WalkGlibcBacktrace);

void BM_WalkLibunwind(benchmark::State& state) {
  auto body = [&] {
    // The anchor unwind_stack looks for: this lambda's return address.
    std::uintptr_t anchor = 0;
    walk_end end{};
    tether::detail::walk_frame_pointers(reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)),
                                        0, &anchor, 1, current_stack_bounds(), end);
    std::uintptr_t out[frames];
    if (tether::detail::unwind_stack(anchor, out, frames) != frames) {
      state.SkipWithError("libunwind unavailable or the anchor was not found");
      return;
    }
    for (auto _ : state) {
      benchmark::DoNotOptimize(tether::detail::unwind_stack(anchor, out, frames));
      benchmark::ClobberMemory();
    }
  };
  at_depth(depth, body);
}
BENCHMARK(BM_WalkLibunwind);

void BM_CaptureStack(benchmark::State& state) {
  const capture_options on(true);
  auto body = [&] {
    tether::detail::stack_table& table = tether::detail::stack_table::instance();
    for (auto _ : state) {
      table.release(tether::detail::capture_stack(
          reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)), 0, "Job"));
    }
  };
  at_depth(depth, body);
}
BENCHMARK(BM_CaptureStack);

void BM_ResourceCycle(benchmark::State& state, bool on, std::uint32_t sample_every) {
  const capture_options options(on, sample_every);
  auto body = [&] {
    for (auto _ : state) {
      tether::async_resource r("Job");
      benchmark::DoNotOptimize(r.id());
    }
  };
  at_depth(depth, body);
  state.counters["captures"] = static_cast<double>(tether::get_stack_trace_stats().captures);
}
BENCHMARK_CAPTURE(BM_ResourceCycle, capture_off, false, 1);
BENCHMARK_CAPTURE(BM_ResourceCycle, capture_on, true, 1);
BENCHMARK_CAPTURE(BM_ResourceCycle, capture_on_sample_16, true, 16);

/// Heap bytes (glibc's count of bytes in use) for `n` live async_resources.
std::size_t heap_for_live_resources(bool capture, std::size_t n) {
  const capture_options options(capture);
  std::vector<std::unique_ptr<tether::async_resource>> live;
  live.reserve(n);
  std::size_t used = 0;
  auto body = [&] {
    const std::size_t before = ::mallinfo2().uordblks;
    for (std::size_t i = 0; i < n; ++i) {
      live.push_back(std::make_unique<tether::async_resource>("Job"));
    }
    used = ::mallinfo2().uordblks - before;
  };
  at_depth(depth, body);
  return used;
}

void BM_LiveResourceMemory(benchmark::State& state) {
  constexpr std::size_t n = 100'000;
  double extra = 0;
  for (auto _ : state) {
    const std::size_t off = heap_for_live_resources(false, n);
    const std::size_t on = heap_for_live_resources(true, n);
    extra = (static_cast<double>(on) - static_cast<double>(off)) / n;
  }
  state.counters["extra_bytes_per_resource"] = extra;
  state.counters["record_bytes"] = sizeof(tether::detail::trace_record);
}
BENCHMARK(BM_LiveResourceMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_ImmediateChain(benchmark::State& state, bool on) {
  const capture_options options(on);
  struct chain {
    int left = 0;
    void step() {
      if (--left > 0) {
        tether::set_immediate([this] { step(); });
      }
    }
  };
  for (auto _ : state) {
    tether::event_loop loop;
    chain c{1'000'000};
    tether::set_immediate([&c] { c.step(); });
    loop.run();
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK_CAPTURE(BM_ImmediateChain, capture_off, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ImmediateChain, capture_on, true)->Unit(benchmark::kMillisecond);

void BM_Symbolize(benchmark::State& state, bool cached) {
  const capture_options on(true);
  tether::async_trace trace;
  auto body = [&] { trace = tether::async_stack_trace(); };
  at_depth(depth, body);
  tether::stack_trace_options print;
  print.show_internal_frames = true;
  benchmark::DoNotOptimize(tether::to_string(trace, print));  // warm libdw itself
  for (auto _ : state) {
    if (!cached) {
      state.PauseTiming();
      tether::detail::symbolizer::instance().clear_cache();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(tether::to_string(trace, print));
  }
  state.counters["frames"] = static_cast<double>(trace.frames().size());
}
BENCHMARK_CAPTURE(BM_Symbolize, first_time, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Symbolize, cached, true)->Unit(benchmark::kMicrosecond);

void BM_TraceAndPrint(benchmark::State& state) {
  const capture_options on(true);
  tether::event_loop loop;
  tether::set_timeout([&] {
    for (auto _ : state) {
      benchmark::DoNotOptimize(tether::to_string(tether::async_stack_trace()));
    }
  });
  loop.run();
}
BENCHMARK(BM_TraceAndPrint)->Unit(benchmark::kMicrosecond);

}  // namespace
