// queue_work: fn on libuv's thread pool inside its "QUEUEWORK" resource's
// scope, the completion on the loop thread inside the same scope, in the
// submitter's context. Runs under TSan (the *_threads_test.cpp split).
#include <tether/work.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_core.hpp"
#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::queue_work;
using tether::trigger_async_id;
using tether::test::event_kind;
using tether::test::invocation_counts;

constexpr std::string_view work_type = "QUEUEWORK";

template <class Loop>
constexpr bool has_closing_flag(const Loop* l) {
  return requires { l->closing(); };
}
constexpr bool loop_reports_closing = has_closing_flag<tether::detail::loop_core>(nullptr);

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

/// The store, or -1 without one.
int store_of(const tether::async_local_storage<int>& als) {
  const int* s = als.get_store();
  return s != nullptr ? *s : -1;
}

class Work : public tether::test::loop_fixture {};

TEST_F(Work, FnOnThePoolCompletionOnTheLoopThreadOneResource) {
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::thread::id fn_thread;
  std::thread::id done_thread;
  async_id fn_id = 0;
  async_id fn_trigger = 0;
  async_id done_id = 0;
  int got = 0;
  queue_work(
      [&] {
        fn_thread = std::this_thread::get_id();
        fn_id = execution_async_id();
        fn_trigger = trigger_async_id();
        mark("fn");
        return 42;
      },
      [&](std::exception_ptr e, int v) {
        EXPECT_FALSE(e);
        done_thread = std::this_thread::get_id();
        done_id = execution_async_id();
        got = v;
        mark("done");
      });
  const async_id id = last_id(work_type);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(got, 42);
  EXPECT_NE(fn_thread, loop_thread);
  EXPECT_EQ(done_thread, loop_thread);
  EXPECT_EQ(fn_id, id);
  EXPECT_EQ(fn_trigger, top());
  EXPECT_EQ(done_id, id);
  EXPECT_THAT(log(), ElementsAre(init(work_type, id, top()), before(id), "fn", after(id),
                                 before(id), "done", after(id), destroy(id)));
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 2, .after = 2, .destroy = 1}));
  // Which thread saw which event.
  for (const auto& r : rec().records()) {
    if (r.id != id) {
      continue;
    }
    if (r.kind == event_kind::init || r.kind == event_kind::destroy) {
      EXPECT_EQ(r.thread, loop_thread);
    }
  }
  const auto records = rec().records();
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[1].thread, fn_thread);  // before, on the pool thread
  EXPECT_EQ(records[2].thread, fn_thread);  // after
  EXPECT_EQ(records[3].thread, loop_thread);
}

TEST_F(Work, StoreIsVisibleInFnAndInTheCompletion) {
  tether::async_local_storage<std::string> als;
  std::string in_fn;
  std::string in_done;
  als.run("request-7", [&] {
    queue_work(
        [&] {
          const std::string* s = als.get_store();
          in_fn = s != nullptr ? *s : "none";
        },
        [&](std::exception_ptr) {
          const std::string* s = als.get_store();
          in_done = s != nullptr ? *s : "none";
        });
  });
  EXPECT_EQ(als.get_store(), nullptr);
  loop().run();
  EXPECT_EQ(in_fn, "request-7");
  EXPECT_EQ(in_done, "request-7");
}

TEST_F(Work, ExceptionInFnIsReportedToTheCallback) {
  std::string what;
  int value = -1;
  queue_work(
      []() -> int { throw std::runtime_error("pool failure"); },
      [&](std::exception_ptr e, int v) {
        what = what_of(e);
        value = v;
      });
  loop().run();
  EXPECT_EQ(what, "pool failure");
  EXPECT_EQ(value, 0);  // R{} when fn threw
}

TEST_F(Work, PromiseFormResolvesAndRejects) {
  int got = 0;
  std::string rejected;
  queue_work([] { return 6 * 7; }).then([&](int v) { got = v; });
  queue_work([]() -> int { throw std::invalid_argument("bad input"); })
      .then([](int) { ADD_FAILURE() << "should reject"; })
      .catch_([&](std::exception_ptr e) { rejected = what_of(e); });
  loop().run();
  EXPECT_EQ(got, 42);
  EXPECT_EQ(rejected, "bad input");
}

TEST_F(Work, PromiseFormSettlesInsideTheJobScopeInTheCallersContext) {
  tether::async_local_storage<int> als;
  int store_after_await = 0;
  auto task = [&]() -> tether::promise<> {
    const int v = co_await queue_work([&] { return store_of(als) * 2; });
    store_after_await = store_of(als) + v;
  };
  als.run(21, [&] {
    tether::promise<> p = task();
    (void)p;
  });
  const async_id job = last_id(work_type);
  loop().run();
  EXPECT_EQ(store_after_await, 21 + 42);
  // The job's promise got its promise_resolve while the job's completion ran.
  int resolves_in_job = 0;
  for (const auto& r : rec().records()) {
    if (r.kind == event_kind::promise_resolve && r.execution_id == job) {
      ++resolves_in_job;
    }
  }
  EXPECT_EQ(resolves_in_job, 1);
}

TEST_F(Work, VoidAndMoveOnlyResults) {
  bool void_done = false;
  std::unique_ptr<int> moved;
  queue_work([] {}, [&](std::exception_ptr e) { void_done = !e; });
  queue_work([] { return std::make_unique<int>(5); }).then([&](std::unique_ptr<int> p) {
    moved = std::move(p);
  });
  loop().run();
  EXPECT_TRUE(void_done);
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 5);
}

// fn's captures are destroyed on the loop thread, before the completion runs.
TEST_F(Work, FnIsDestroyedOnTheLoopThread) {
  struct probe {
    std::thread::id* where;
    bool armed = true;
    probe(std::thread::id* w) : where(w) {}
    probe(probe&& o) noexcept : where(o.where) { o.armed = false; }
    ~probe() {
      if (armed) {
        *where = std::this_thread::get_id();
      }
    }
  };
  std::thread::id destroyed_on;
  bool destroyed_before_done = false;
  queue_work([p = probe(&destroyed_on)] { (void)p; },
             [&](std::exception_ptr) { destroyed_before_done = destroyed_on != std::thread::id(); });
  loop().run();
  EXPECT_EQ(destroyed_on, std::this_thread::get_id());
  EXPECT_TRUE(destroyed_before_done);
}

TEST_F(Work, HundredConcurrentJobsEachInItsOwnContext) {
  tether::async_local_storage<int> als;
  constexpr int jobs = 100;
  std::vector<int> results(jobs, -1);
  std::vector<int> fn_stores(jobs, -1);
  std::vector<int> done_stores(jobs, -1);
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  int completed = 0;
  for (int i = 0; i < jobs; ++i) {
    als.run(i, [&, i] {
      queue_work(
          [&, i] {
            const int now = ++running;
            int seen = max_running.load();
            while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(1ms);
            fn_stores[static_cast<std::size_t>(i)] = store_of(als);
            --running;
            return i * i;
          },
          [&, i](std::exception_ptr e, int v) {
            EXPECT_FALSE(e);
            results[static_cast<std::size_t>(i)] = v;
            done_stores[static_cast<std::size_t>(i)] = store_of(als);
            ++completed;
          });
    });
  }
  loop().run();
  EXPECT_EQ(completed, jobs);
  for (int i = 0; i < jobs; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_EQ(results[k], i * i);
    EXPECT_EQ(fn_stores[k], i);
    EXPECT_EQ(done_stores[k], i);
  }
  EXPECT_GT(max_running.load(), 1);  // libuv's pool has 4 threads by default
  EXPECT_EQ(rec().activities_of_type(work_type).size(), static_cast<std::size_t>(jobs));
}

TEST_F(Work, TheLoopStaysAliveUntilEveryJobIsDone) {
  const auto start = std::chrono::steady_clock::now();
  bool done = false;
  queue_work([] { std::this_thread::sleep_for(60ms); }, [&](std::exception_ptr) { done = true; });
  loop().run();
  EXPECT_TRUE(done);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
}

TEST_F(Work, ATimerRunsWhileAJobIsBusy) {
  std::vector<std::string> order;
  queue_work([] { std::this_thread::sleep_for(100ms); },
             [&](std::exception_ptr) { order.emplace_back("work"); });
  tether::set_timeout([&] { order.emplace_back("timer"); }, 10ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("timer", "work"));
}

TEST_F(Work, AThrowingCompletionIsAnUncaughtExceptionOfTheLoop) {
  bool second = false;
  queue_work([] {}, [](std::exception_ptr) { throw std::runtime_error("in completion"); });
  EXPECT_THROW(loop().run(), std::runtime_error);
  queue_work([] {}, [&](std::exception_ptr) { second = true; });
  loop().run();
  EXPECT_TRUE(second);
}

// Destroying the loop waits for the jobs already in the pool; each gets its
// destroy; nothing leaks (ASan/TSan).
TEST_F(Work, LoopDestroyedWithJobsPendingLeaksNothing) {
  std::atomic<int> ran{0};
  int completions = 0;
  for (int i = 0; i < 12; ++i) {
    queue_work(
        [&ran] {
          std::this_thread::sleep_for(5ms);
          ++ran;
          return std::string(1000, 'x');
        },
        [&](std::exception_ptr, std::string) { ++completions; });
  }
  tether::promise<int> p = queue_work([] { return 1; });
  destroy_loop();
  if constexpr (loop_reports_closing) {
    EXPECT_EQ(completions, 0);
  }
  for (const auto& a : rec().activities_of_type(work_type)) {
    EXPECT_EQ(a.calls.destroy, 1) << a.id;
  }
}

}  // namespace
