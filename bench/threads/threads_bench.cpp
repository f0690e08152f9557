// Threads: event_loop::post and message ports between loops on different
// threads, beside raw libuv (uv_async_floor_bench.cpp) and Node's
// worker_threads (bench/node/threads_messages.js); bench/threads/run.py
// prints the table.
//
//   BM_PostRoundTrip      a post to a loop on another thread, which posts
//                         back: one round trip per op. Target <= 1.2x
//                         BM_UvAsyncPingPong (two raw libuv loops,
//                         uv_async_send each way).
//   BM_PostFromFourThreads 4 threads post into one loop as fast as they can:
//                         ns per post, batched wakes included.
//   BM_PortMessages       messages from this thread's loop to a worker over a
//                         message_channel (the default capacity, 4096, and
//                         65536, the sender pumping from on_drain): ns per message, an int and a 1 KiB
//                         string (copied per message, as Node's structured
//                         clone copies). Target >= 5x Node's MessagePort.
//
// Every run is timed by hand on the wall clock (threads: CPU time of one
// thread means nothing) and reported as the "ns_per_op" counter; the worker
// is started and ready before the clock starts.

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/worker.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

void report(benchmark::State& state, clock_type::duration elapsed, double ops) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  state.SetIterationTime(seconds);
  state.counters["ns_per_op"] = seconds * 1e9 / ops;
}

// --- post round trip ------------------------------------------------------------

void BM_PostRoundTrip(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::atomic<bool> ready{false};
    tether::loop_executor there;
    std::optional<tether::loop_hold> pong_hold;
    std::thread pong([&] {
      tether::event_loop loop;
      there = loop.executor();
      pong_hold.emplace(loop.hold());
      ready = true;
      loop.run();
    });
    while (!ready.load()) {
      std::this_thread::yield();
    }
    tether::event_loop loop;
    tether::loop_hold hold = loop.hold();
    const tether::loop_executor back = loop.executor();
    int left = rounds;
    std::function<void()> ping = [&] {
      if (--left == 0) {
        hold.release();
        there.post([&] { pong_hold->release(); });
        return;
      }
      there.post([&] { back.post([&] { ping(); }); });
    };
    const auto start = clock_type::now();
    there.post([&] { back.post([&] { ping(); }); });
    loop.run();
    const auto elapsed = clock_type::now() - start;
    pong.join();
    report(state, elapsed, rounds);
  }
}
BENCHMARK(BM_PostRoundTrip)->Arg(20'000)->UseManualTime()->Iterations(1)->Repetitions(3);

// --- posts from 4 threads into one loop ------------------------------------------

void BM_PostFromFourThreads(benchmark::State& state) {
  const auto total = static_cast<std::int64_t>(state.range(0));
  constexpr int threads = 4;
  for (auto _ : state) {
    tether::event_loop loop;
    loop.set_post_capacity(static_cast<std::size_t>(state.range(1)));
    tether::loop_hold hold = loop.hold();
    const tether::loop_executor ex = loop.executor();
    std::int64_t ran = 0;
    std::atomic<bool> go{false};
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
      producers.emplace_back([&] {
        while (!go.load()) {
          std::this_thread::yield();
        }
        for (std::int64_t i = 0; i < total / threads; ++i) {
          while (!ex.post([&] {
            if (++ran == total) {
              hold.release();
            }
          })) {
            std::this_thread::yield();  // full: the loop is behind
          }
        }
      });
    }
    const auto start = clock_type::now();
    go = true;
    loop.run();
    const auto elapsed = clock_type::now() - start;
    for (std::thread& p : producers) {
      p.join();
    }
    report(state, elapsed, static_cast<double>(total));
  }
}
// {posts, post capacity}
BENCHMARK(BM_PostFromFourThreads)
    ->Args({1'000'000, 1 << 20})
    ->Args({1'000'000, 65536})
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3);

// --- message ports ----------------------------------------------------------------

template <class T>
void port_messages(benchmark::State& state, T payload) {
  const auto count = static_cast<std::int64_t>(state.range(0));
  for (auto _ : state) {
    tether::event_loop loop;
    tether::message_channel<T> ch({.capacity = static_cast<std::size_t>(state.range(1))});
    // The worker counts; it answers once when ready and once at the end.
    tether::worker w(
        [count](tether::message_port<T>& port) {
          std::int64_t seen = 0;
          port.on_message([&port, seen, count](T) mutable {
            if (++seen == count) {
              (void)port.post_message(T{});
            }
          });
          (void)port.post_message(T{});  // ready
        },
        std::move(ch.port2));
    std::int64_t sent = 0;
    int answers = 0;
    clock_type::time_point start;
    clock_type::duration elapsed{};
    std::function<void()> pump = [&] {
      while (sent < count) {
        if (!ch.port1.post_message(payload)) {
          return;  // on_drain resumes
        }
        ++sent;
      }
    };
    ch.port1.on_drain(pump);
    ch.port1.on_message([&](T) {
      if (++answers == 1) {
        start = clock_type::now();
        pump();
      } else {
        elapsed = clock_type::now() - start;
        ch.port1.close();
      }
    });
    loop.run();
    report(state, elapsed, static_cast<double>(count));
  }
}

void BM_PortMessages_int(benchmark::State& state) { port_messages<int>(state, 7); }
void BM_PortMessages_string1k(benchmark::State& state) {
  port_messages<std::string>(state, std::string(1024, 'x'));
}
// {messages, channel capacity}: the default, and a 16x larger window (whose
// 1 KiB strings no longer fit in the cache: page faults dominate).
BENCHMARK(BM_PortMessages_int)
    ->Args({1'000'000, 4096})
    ->Args({1'000'000, 65536})
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3);
BENCHMARK(BM_PortMessages_string1k)
    ->Args({200'000, 4096})
    ->Args({200'000, 65536})
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3);

}  // namespace
