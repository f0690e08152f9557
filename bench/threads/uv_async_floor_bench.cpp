// The floor of BM_PostRoundTrip (threads_bench.cpp): two raw libuv loops on
// two threads, each with one uv_async_t; a round trip is uv_async_send there
// and uv_async_send back (one eventfd wake each way), nothing else.

#include <benchmark/benchmark.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

struct side {
  uv_loop_t loop{};
  uv_async_t async{};
};

struct ping_pong {
  side a;  // this thread
  side b;  // the other
  int left = 0;
  std::atomic<bool> done{false};
};

void BM_UvAsyncPingPong(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ping_pong pp;
    pp.left = rounds;
    uv_loop_init(&pp.a.loop);
    uv_loop_init(&pp.b.loop);
    pp.a.async.data = pp.b.async.data = &pp;
    uv_async_init(&pp.a.loop, &pp.a.async, [](uv_async_t* h) {
      auto& p = *static_cast<ping_pong*>(h->data);
      if (--p.left == 0) {
        p.done = true;
        uv_async_send(&p.b.async);  // lets the other side close
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
        return;
      }
      uv_async_send(&p.b.async);
    });
    uv_async_init(&pp.b.loop, &pp.b.async, [](uv_async_t* h) {
      auto& p = *static_cast<ping_pong*>(h->data);
      if (p.done.load()) {
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
        return;
      }
      uv_async_send(&p.a.async);
    });
    std::thread other([&] { uv_run(&pp.b.loop, UV_RUN_DEFAULT); });
    const auto start = std::chrono::steady_clock::now();
    uv_async_send(&pp.b.async);
    uv_run(&pp.a.loop, UV_RUN_DEFAULT);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    other.join();
    uv_loop_close(&pp.a.loop);
    uv_loop_close(&pp.b.loop);
    const double seconds = std::chrono::duration<double>(elapsed).count();
    state.SetIterationTime(seconds);
    state.counters["ns_per_op"] = seconds * 1e9 / rounds;
  }
}
BENCHMARK(BM_UvAsyncPingPong)->Arg(20'000)->UseManualTime()->Iterations(1)->Repetitions(3);

}  // namespace
