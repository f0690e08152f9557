// Raw libuv floors for bench/runtime/loop_bench.cpp: the least a loop on
// libuv can do per operation, with no resource, no hook check and no
// callback object, 1,000,000 operations per run.
//   BM_UvImmediateChain  one uv_check callback per loop turn, with a uv_idle
//                        handle keeping the poll phase from blocking: the
//                        handle pair Node (and tether) run immediates on.
//                        Floor of BM_ImmediateChain.
//   BM_UvTimerBatch/0ms  1000 uv_timer_t initialised once and restarted with
//                        a 0 ms timeout each batch (reused, as a pool would):
//                        libuv's timer heap per timer, and no wait (libuv
//                        runs a 0 ms timer started from a timer callback in
//                        the same timers phase). The floor of
//                        BM_TimerBatch.
//   BM_UvTimerBatch/1ms  the same with a 1 ms timeout: each batch waits for
//                        the next millisecond as BM_TimerBatch's do (Node and
//                        tether make 0 ms 1 ms), so the loop sleeps in
//                        epoll_wait once per batch and the caches come back
//                        cold when other processes ran meanwhile.

#include <uv.h>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "support/run_stats.hpp"

namespace {

using tether_bench::ops_per_run;
using tether_bench::page_faults;
using tether_bench::timer_batch;

void check_uv(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", what, uv_strerror(rc));
    std::abort();
  }
}

// The loop and its handles, closed (and the loop emptied) on destruction.
class uv_loop {
 public:
  uv_loop() { check_uv(uv_loop_init(&loop_), "uv_loop_init"); }
  ~uv_loop() {
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (uv_is_closing(h) == 0) {
            uv_close(h, nullptr);
          }
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    check_uv(uv_loop_close(&loop_), "uv_loop_close");
  }
  uv_loop(const uv_loop&) = delete;
  uv_loop& operator=(const uv_loop&) = delete;
  uv_loop_t* get() noexcept { return &loop_; }

 private:
  uv_loop_t loop_{};
};

struct immediate_chain {
  benchmark::State& state;
  uv_check_t check{};
  uv_idle_t idle{};

  static void on_check(uv_check_t* h) {
    auto* self = static_cast<immediate_chain*>(h->data);
    if (!self->state.KeepRunning()) {
      uv_check_stop(&self->check);
      uv_idle_stop(&self->idle);
    }
  }
};

void BM_UvImmediateChain(benchmark::State& state) {
  const page_faults faults;
  {
    uv_loop loop;
    immediate_chain chain{state};
    uv_check_init(loop.get(), &chain.check);
    uv_idle_init(loop.get(), &chain.idle);
    chain.check.data = &chain;
    uv_check_start(&chain.check, &immediate_chain::on_check);
    uv_idle_start(&chain.idle, [](uv_idle_t*) {});
    uv_run(loop.get(), UV_RUN_DEFAULT);
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UvImmediateChain)->Iterations(ops_per_run);

struct timer_batches {
  benchmark::State& state;
  std::uint64_t timeout_ms = 0;
  std::array<uv_timer_t, timer_batch> timers{};
  int pending = 0;

  void schedule() {
    if (!state.KeepRunningBatch(timer_batch)) {
      return;
    }
    pending = timer_batch;
    for (uv_timer_t& t : timers) {
      uv_timer_start(&t, &timer_batches::on_timer, timeout_ms, 0);
    }
  }
  static void on_timer(uv_timer_t* h) {
    auto* self = static_cast<timer_batches*>(h->data);
    if (--self->pending == 0) {
      self->schedule();
    }
  }
};

void BM_UvTimerBatch(benchmark::State& state, std::uint64_t timeout_ms) {
  const page_faults faults;
  {
    uv_loop loop;
    timer_batches batches{state, timeout_ms};
    for (uv_timer_t& t : batches.timers) {
      uv_timer_init(loop.get(), &t);
      t.data = &batches;
    }
    batches.schedule();
    uv_run(loop.get(), UV_RUN_DEFAULT);
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_UvTimerBatch, 0ms, 0)->Iterations(ops_per_run);
BENCHMARK_CAPTURE(BM_UvTimerBatch, 1ms, 1)->Iterations(ops_per_run);

}  // namespace
