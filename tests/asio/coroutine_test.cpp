// co_spawn / awaitable: each spawned coroutine is one "asio.co_spawn"
// resource whose callbacks are the slices it runs between suspensions; after
// every co_await the context is the coroutine's own, never the completing
// operation's; nested awaitables, exceptions, inline spawns, a coroutine
// awaiting another, and coroutines abandoned with their io_context.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

#include "asio_events.hpp"
#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::test::asio_events;
using tether::test::hook_recorder;
using namespace std::chrono_literals;

template <class T = void>
using task = net::awaitable<T>;

struct coroutine_test : ::testing::Test {
  hook_recorder rec;
  net::io_context io;
  async_id top = execution_async_id();
  asio_events ev{rec, {.top = top}};
  tether::async_local_storage<int> als;

  void SetUp() override { rec.enable(); }

  int store() const {
    const int* v = als.get_store();
    return v != nullptr ? *v : -1;
  }

  task<> sleep(std::chrono::milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(net::use_awaitable);
  }
};

TEST_F(coroutine_test, ASpawnedCoroutineIsOneResourceAndItsSlicesAreItsCallbacks) {
  std::vector<async_id> ran_in;
  net::co_spawn(
      io,
      [&]() -> task<> {
        ran_in.push_back(execution_async_id());
        net::steady_timer t(io, 0ms);
        co_await t.async_wait(net::use_awaitable);
        ran_in.push_back(execution_async_id());
        t.expires_after(0ms);
        co_await t.async_wait(net::use_awaitable);
        ran_in.push_back(execution_async_id());
      },
      net::detached);
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.co_spawn A trigger top",  // at co_spawn, in its caller
                          "before A", "init asio.steady_timer B trigger A", "after A",
                          "before B", "before A", "init asio.steady_timer C trigger A", "after A",
                          "after B", "destroy B", "before C", "before A", "after A", "destroy A",
                          "after C", "destroy C"));
  ASSERT_EQ(ran_in.size(), 3u);
  for (async_id id : ran_in) {
    EXPECT_EQ(ev.name(id), "A");
  }
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, TheTriggerOfTheCoroutineIsItsSpawner) {
  async_id spawner = 0;
  async_id trigger = 0;
  net::post(io, [&] {
    spawner = execution_async_id();
    net::co_spawn(
        io,
        [&]() -> task<> {
          trigger = trigger_async_id();
          co_return;
        },
        net::detached);
  });
  io.run();
  const auto spawned = rec.activities_of_type("asio.co_spawn");
  ASSERT_EQ(spawned.size(), 1u);
  EXPECT_EQ(spawned[0].trigger, spawner);
  EXPECT_EQ(trigger, spawner);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, ContextIsTheCoroutinesOwnAfterEveryAwait) {
  std::vector<int> seen;
  for (int i = 1; i <= 3; ++i) {
    als.run(i, [&] {
      net::co_spawn(
          io,
          [&, i]() -> task<> {
            for (int step = 0; step < 3; ++step) {
              co_await sleep(std::chrono::milliseconds(step == 0 ? 3 - i : 1));
              seen.push_back(i * 10 + (store() == i ? 0 : 9));
            }
          },
          net::detached);
    });
  }
  io.run();
  ASSERT_EQ(seen.size(), 9u);
  for (int v : seen) {
    EXPECT_EQ(v % 10, 0) << "coroutine " << v / 10 << " saw another context";
  }
}

TEST_F(coroutine_test, ACalleesEnterWithDoesNotLeakIntoItsCaller) {
  std::vector<int> seen;
  auto callee = [&]() -> task<> {
    als.enter_with(2);
    co_await sleep(1ms);
    seen.push_back(store());  // the callee keeps its own change
  };
  als.run(1, [&] {
    net::co_spawn(
        io,
        [&]() -> task<> {
          seen.push_back(store());
          co_await callee();
          seen.push_back(store());  // back to the caller's: 1, not 2
          co_await sleep(1ms);
          seen.push_back(store());
        },
        net::detached);
  });
  io.run();
  EXPECT_THAT(seen, ElementsAre(1, 2, 1, 1));
}

TEST_F(coroutine_test, NestedAwaitablesRunInTheSpawnedCoroutinesResource) {
  std::vector<async_id> ids;
  auto leaf = [&]() -> task<int> {
    co_await sleep(0ms);
    ids.push_back(execution_async_id());
    co_return 7;
  };
  auto middle = [&]() -> task<int> {
    const int v = co_await leaf();
    ids.push_back(execution_async_id());
    co_return v + 1;
  };
  int result = 0;
  net::co_spawn(
      io, [&]() -> task<> { result = co_await middle(); }, net::detached);
  io.run();
  EXPECT_EQ(result, 8);
  const auto spawned = rec.activities_of_type("asio.co_spawn");
  ASSERT_EQ(spawned.size(), 1u);
  EXPECT_THAT(ids, ElementsAre(spawned[0].id, spawned[0].id));
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, AnExceptionThroughNestedAwaitablesRestoresTheCatchersContext) {
  std::vector<std::string> seen;
  auto thrower = [&]() -> task<> {
    als.enter_with(2);
    co_await sleep(0ms);
    throw std::runtime_error("from the callee");
  };
  std::exception_ptr spawn_error;
  als.run(1, [&] {
    net::co_spawn(
        io,
        [&]() -> task<> {
          try {
            co_await thrower();
          } catch (const std::runtime_error& e) {
            seen.push_back(std::string(e.what()) + " in " + std::to_string(store()));
          }
          co_await sleep(0ms);
          seen.push_back("after in " + std::to_string(store()));
          throw std::logic_error("out of the coroutine");
        },
        [&](std::exception_ptr e) {
          spawn_error = e;
          seen.push_back("completion in " + std::to_string(store()));
        });
  });
  io.run();
  EXPECT_THAT(seen, ElementsAre("from the callee in 1", "after in 1", "completion in 1"));
  ASSERT_TRUE(spawn_error);
  EXPECT_THROW(std::rethrow_exception(spawn_error), std::logic_error);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, ACoroutineAwaitingAnotherKeepsItsOwnResourceAndContext) {
  async_id parent_id = 0;
  async_id child_trigger = 0;
  std::vector<int> seen;
  als.run(1, [&] {
    net::co_spawn(
        io,
        [&]() -> task<> {
          parent_id = execution_async_id();
          const int v = co_await net::co_spawn(
              io,
              [&]() -> task<int> {
                child_trigger = trigger_async_id();
                als.enter_with(2);
                co_await sleep(1ms);
                seen.push_back(store());
                co_return 5;
              },
              net::use_awaitable);
          seen.push_back(v);
          seen.push_back(store());
          EXPECT_EQ(execution_async_id(), parent_id);
        },
        net::detached);
  });
  io.run();
  EXPECT_THAT(seen, ElementsAre(2, 5, 1));
  EXPECT_EQ(child_trigger, parent_id);
  EXPECT_EQ(rec.activities_of_type("asio.co_spawn").size(), 2u);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

// A coroutine spawned from inside another, on one thread, where the spawner
// was just resumed by an I/O completion (a timer) and co_spawn is its first
// act: Boost 1.74's co_spawn runs the new coroutine's start inline in the
// spawner's slice. The spawner then ends, and the spawned coroutine resumes
// after it: every slice of the child is the child's own resource (never the
// ended spawner's), triggered by the spawner, in the child's context.
void spawn_from_a_resumed_coroutine(coroutine_test& t, bool on_a_strand) {
  async_id parent_id = 0;
  std::vector<async_id> child_ids;
  std::vector<async_id> child_triggers;
  std::vector<int> child_stores;
  bool parent_done = false;
  bool parent_done_when_child_resumed = false;
  auto child = [&]() -> task<> {
    t.als.enter_with(2);
    child_ids.push_back(execution_async_id());
    child_triggers.push_back(trigger_async_id());
    co_await t.sleep(1ms);  // the parent ends meanwhile
    parent_done_when_child_resumed = parent_done;
    child_ids.push_back(execution_async_id());
    child_stores.push_back(t.store());
    co_await t.sleep(1ms);
    child_ids.push_back(execution_async_id());
    child_stores.push_back(t.store());
  };
  t.als.run(1, [&] {
    net::co_spawn(
        t.io,
        [&]() -> task<> {
          parent_id = execution_async_id();
          net::steady_timer timer(co_await net::this_coro::executor, 0ms);
          co_await timer.async_wait(net::use_awaitable);
          // The first operation this resumption creates is the child's start.
          if (on_a_strand) {
            net::co_spawn(net::make_strand(t.io), child(), net::detached);
          } else {
            net::co_spawn(t.io, child(), net::detached);
          }
          parent_done = true;
        },
        net::detached);
  });
  t.io.run();
  const auto spawned = t.rec.activities_of_type("asio.co_spawn");
  ASSERT_EQ(spawned.size(), 2u);
  EXPECT_EQ(spawned[0].id, parent_id);
  const async_id child_id = spawned[1].id;
  EXPECT_NE(child_id, parent_id);
  EXPECT_EQ(spawned[1].trigger, parent_id);
  EXPECT_TRUE(parent_done_when_child_resumed);
  EXPECT_THAT(child_ids, ElementsAre(child_id, child_id, child_id));
  EXPECT_THAT(child_triggers, ElementsAre(parent_id));
  EXPECT_THAT(child_stores, ElementsAre(2, 2));
  EXPECT_EQ(spawned[0].calls.destroy, 1);
  EXPECT_EQ(spawned[1].calls.destroy, 1);
  EXPECT_TRUE(t.rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, ACoroutineSpawnedByAResumedCoroutineOutlivesItAsItself) {
  spawn_from_a_resumed_coroutine(*this, false);
}

TEST_F(coroutine_test, ACoroutineSpawnedOntoAStrandByAResumedCoroutineOutlivesItAsItself) {
  spawn_from_a_resumed_coroutine(*this, true);
}

TEST_F(coroutine_test, AbandonedCoroutinesAreDestroyedWithTheirIoContext) {
  auto doomed = std::make_unique<net::io_context>();
  bool resumed = false;
  net::co_spawn(
      *doomed,
      [&]() -> task<> {
        net::steady_timer t(co_await net::this_coro::executor, 1h);
        co_await t.async_wait(net::use_awaitable);
        resumed = true;
      },
      net::detached);
  doomed->run_for(10ms);  // starts, then waits on the timer
  doomed.reset();
  EXPECT_FALSE(resumed);
  const auto spawned = rec.activities_of_type("asio.co_spawn");
  ASSERT_EQ(spawned.size(), 1u);
  EXPECT_EQ(spawned[0].calls.destroy, 1);
  for (const auto& a : rec.activities()) {
    EXPECT_EQ(a.calls.init, 1) << a.type;
    EXPECT_EQ(a.calls.destroy, 1) << a.type;
  }
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(coroutine_test, ACoroutineSpawnedButNeverStartedIsDestroyedOnce) {
  {
    net::io_context never_run;
    net::co_spawn(never_run, [&]() -> task<> { co_return; }, net::detached);
  }
  // Asio posts the unwinding of the coroutine's frames (B) when it drops
  // the operation that was to start it: caused by A, never run.
  EXPECT_THAT(ev.list(), ElementsAre("init asio.co_spawn A trigger top",
                                     "init asio.post B trigger A", "destroy A", "destroy B"));
}

TEST_F(coroutine_test, PostFromACoroutineIsTriggeredByIt) {
  net::co_spawn(
      io,
      [&]() -> task<> {
        net::post(io, [] {});
        co_return;
      },
      net::detached);
  io.run();
#if defined(TETHER_TEST_BOOST_ASIO)
  // Boost 1.74's co_spawn delivers the (detached) result with a dispatch,
  // inline.
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.co_spawn A trigger top", "before A",
                          "init asio.post B trigger A", "after A", "destroy A", "before B",
                          "after B", "destroy B"));
#else
  // Asio 1.22 posts it (C) when the coroutine never suspended: still inside
  // A's last slice, so triggered by A, and A is destroyed after that slice.
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.co_spawn A trigger top", "before A",
                          "init asio.post B trigger A", "init asio.post C trigger A", "after A",
                          "destroy A", "before B", "after B", "destroy B", "before C", "after C",
                          "destroy C"));
#endif
}

}  // namespace
