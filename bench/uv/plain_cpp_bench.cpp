// Plain C++ floors for the runtime workloads that never reach libuv,
// 1,000,000 operations per run:
//   BM_FunctionChain   a FIFO of heap-allocated std::function nodes, each
//                      callback queuing the next: what a next_tick queue
//                      costs with no resource, no context and no pool.
//                      Floor of BM_TickChain.
//   BM_CoroutineAwait  `co_await tiny()` in a loop, where tiny() is a
//                      minimal hand-written eager C++20 task that co_returns
//                      (its frame from operator new, no microtask: the
//                      awaiter sees it done and does not suspend). Floor of
//                      BM_AwaitChain.

#include <benchmark/benchmark.h>

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "support/run_stats.hpp"

namespace {

using tether_bench::ops_per_run;
using tether_bench::page_faults;

class function_queue {
 public:
  void push(std::function<void()> fn) {
    auto n = std::make_unique<node>(node{std::move(fn), nullptr});
    node* raw = n.get();
    (tail_ != nullptr ? tail_->next : head_) = std::move(n);
    tail_ = raw;
  }
  void drain() {
    while (head_ != nullptr) {
      std::unique_ptr<node> n = std::move(head_);
      head_ = std::move(n->next);
      if (head_ == nullptr) {
        tail_ = nullptr;
      }
      n->fn();
    }
  }

 private:
  struct node {
    std::function<void()> fn;
    std::unique_ptr<node> next;
  };
  std::unique_ptr<node> head_;
  node* tail_ = nullptr;
};

struct function_chain {
  benchmark::State& state;
  function_queue& queue;
  void step() {
    if (state.KeepRunning()) {
      queue.push([this] { step(); });
    }
  }
};

void BM_FunctionChain(benchmark::State& state) {
  const page_faults faults;
  {
    function_queue queue;
    function_chain chain{state, queue};
    chain.step();
    queue.drain();
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FunctionChain)->Iterations(ops_per_run);

// An eager task: runs to its first suspension (here: its end) when called;
// awaiting a finished one does not suspend.
template <class T>
class task {
 public:
  struct promise_type {
    T value{};
    std::coroutine_handle<> continuation;

    task get_return_object() noexcept {
      return task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct resume_continuation {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          const std::coroutine_handle<> c = h.promise().continuation;
          return c ? c : std::noop_coroutine();
        }
        void await_resume() noexcept {}
      };
      return resume_continuation{};
    }
    void return_value(T v) noexcept { value = std::move(v); }
    void unhandled_exception() noexcept { std::terminate(); }
  };

  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&&) = delete;
  ~task() {
    if (h_) {
      h_.destroy();
    }
  }

  bool await_ready() const noexcept { return h_.done(); }
  void await_suspend(std::coroutine_handle<> c) noexcept { h_.promise().continuation = c; }
  T await_resume() noexcept { return std::move(h_.promise().value); }

 private:
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

// Runs to completion when called (every await completes synchronously);
// its frame frees itself at the end.
struct detached {
  struct promise_type {
    detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

task<int> tiny() { co_return 1; }

detached await_loop(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await tiny());
  }
}

void BM_CoroutineAwait(benchmark::State& state) {
  const page_faults faults;
  await_loop(state);
  faults.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoroutineAwait)->Iterations(ops_per_run);

}  // namespace
