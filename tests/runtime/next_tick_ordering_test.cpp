// next_tick and queue_microtask: "TickObject" and "Microtask" resources, and
// Node's processTicksAndRejections order: all ticks, then all microtasks,
// until both queues are empty. Node: test/async-hooks/test-nexttick-default-trigger.js,
// test-queue-microtask.js, parallel/test-async-wrap-trigger-id.js,
// parallel/test-next-tick-ordering*.js. Expected orders checked against
// node v20.
#include <tether/event_loop.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <utility>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "runtime/chain_stress.hpp"
#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::next_tick;
using tether::queue_microtask;
using tether::trigger_async_id;
using tether::test::invocation_counts;

class NextTick : public tether::test::loop_fixture {};

TEST_F(NextTick, TickIsOneTickObjectResource) {
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  std::string type;
  next_tick([&] {
    mark("cb");
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    type = std::string(tether::execution_async_resource().type());
  });
  const async_id id = last_id("TickObject");
  ASSERT_NE(id, 0u);
  EXPECT_THAT(log(), ElementsAre(init("TickObject", id, top())));  // init is synchronous
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(log(),
              ElementsAre(init("TickObject", id, top()), before(id), "cb", after(id), destroy(id)));
  EXPECT_EQ(in_cb, id);
  EXPECT_EQ(in_cb_trigger, top());
  EXPECT_EQ(type, "TickObject");
}

TEST_F(NextTick, MicrotaskIsOneMicrotaskResource) {
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  std::string type;
  queue_microtask([&] {
    mark("cb");
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    type = std::string(tether::execution_async_resource().type());
  });
  const async_id id = last_id("Microtask");
  ASSERT_NE(id, 0u);
  EXPECT_THAT(log(), ElementsAre(init("Microtask", id, top())));
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(log(),
              ElementsAre(init("Microtask", id, top()), before(id), "cb", after(id), destroy(id)));
  EXPECT_EQ(in_cb, id);
  EXPECT_EQ(in_cb_trigger, top());
  EXPECT_EQ(type, "Microtask");
}

// test-nexttick-default-trigger.js: a tick scheduled in a tick has the outer
// tick as trigger; siblings share their parent's.
TEST_F(NextTick, TickInsideTickHasTheOuterTickAsTrigger) {
  async_id outer = 0;
  std::vector<async_id> sibling_triggers;
  async_id inner_trigger = 0;
  next_tick([&] {
    outer = execution_async_id();
    next_tick([&] { sibling_triggers.push_back(trigger_async_id()); });
    next_tick([&] {
      sibling_triggers.push_back(trigger_async_id());
      const async_id mid = execution_async_id();
      next_tick([&, mid] {
        inner_trigger = trigger_async_id();
        EXPECT_EQ(inner_trigger, mid);
      });
    });
  });
  loop().run();
  EXPECT_THAT(sibling_triggers, ElementsAre(outer, outer));
  EXPECT_NE(inner_trigger, outer);
  const auto ticks = rec().activities_of_type("TickObject");
  ASSERT_EQ(ticks.size(), 4u);
  EXPECT_EQ(ticks[0].trigger, top());
  EXPECT_EQ(ticks[1].trigger, ticks[0].id);
  EXPECT_EQ(ticks[2].trigger, ticks[0].id);
  EXPECT_EQ(ticks[3].trigger, ticks[2].id);
  for (const auto& a : ticks) {
    EXPECT_EQ(a.calls, (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}))
        << "id " << a.id;
  }
}

TEST_F(NextTick, MicrotaskTriggersFollowTheSchedulingResource) {
  next_tick([&] { queue_microtask([&] { queue_microtask([] {}); }); });
  loop().run();
  const auto ticks = rec().activities_of_type("TickObject");
  const auto micros = rec().activities_of_type("Microtask");
  ASSERT_EQ(ticks.size(), 1u);
  ASSERT_EQ(micros.size(), 2u);
  EXPECT_EQ(micros[0].trigger, ticks[0].id);
  EXPECT_EQ(micros[1].trigger, micros[0].id);
}

TEST_F(NextTick, TopLevelTicksRunBeforeMicrotasks) {
  next_tick([&] { mark("t1"); });
  queue_microtask([&] { mark("m1"); });
  next_tick([&] { mark("t2"); });
  const auto ids = rec().ids();
  ASSERT_EQ(ids.size(), 3u);
  const async_id t1 = ids[0];
  const async_id m1 = ids[1];
  const async_id t2 = ids[2];
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init("TickObject", t1, top()), init("Microtask", m1, top()),
                                 init("TickObject", t2, top()),             //
                                 before(t1), "t1", after(t1), destroy(t1),  //
                                 before(t2), "t2", after(t2), destroy(t2),  //
                                 before(m1), "m1", after(m1), destroy(m1)));
}

// The whole mix, as node v20 runs it:
//   nextTick(t1); queueMicrotask(m1 -> nextTick(t3), queueMicrotask(m3));
//   nextTick(t2 -> queueMicrotask(m2), nextTick(t4)); queueMicrotask(m0)
//   => t1 t2 t4 m1 m0 m2 m3 t3
TEST_F(NextTick, NodeOrderOfTicksAndMicrotasks) {
  next_tick([&] { mark("t1"); });
  queue_microtask([&] {
    mark("m1");
    next_tick([&] { mark("t3"); });
    queue_microtask([&] { mark("m3"); });
  });
  next_tick([&] {
    mark("t2");
    queue_microtask([&] { mark("m2"); });
    next_tick([&] { mark("t4"); });
  });
  queue_microtask([&] { mark("m0"); });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("t1", "t2", "t4", "m1", "m0", "m2", "m3", "t3"));
}

// A tick queued by a microtask runs only after the whole microtask queue,
// including microtasks queued meanwhile.
TEST_F(NextTick, TicksQueuedInAMicrotaskRunAfterTheWholeMicrotaskQueue) {
  queue_microtask([&] {
    mark("m1");
    next_tick([&] {
      mark("t1");
      queue_microtask([&] { mark("m4"); });
    });
    queue_microtask([&] { mark("m3"); });
  });
  queue_microtask([&] { mark("m2"); });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("m1", "m2", "m3", "t1", "m4"));
}

// Microtasks queued by a tick run only after every tick, including ticks
// queued meanwhile.
TEST_F(NextTick, MicrotasksQueuedInATickRunAfterAllTicks) {
  next_tick([&] {
    mark("t1");
    queue_microtask([&] { mark("m1"); });
    next_tick([&] { mark("t3"); });
  });
  next_tick([&] { mark("t2"); });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("t1", "t2", "t3", "m1"));
}

TEST_F(NextTick, TicksAndMicrotasksRunBeforeTimersAndImmediates) {
  tether::set_timeout([&] { mark("timeout"); }, 1ms);
  tether::set_immediate([&] { mark("immediate"); });
  queue_microtask([&] { mark("m"); });
  next_tick([&] { mark("t"); });
  loop().run();
  const auto m = markers();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], "t");
  EXPECT_EQ(m[1], "m");
}

// Work queued before run() runs inside run(), not at scheduling.
TEST_F(NextTick, NothingRunsBeforeRun) {
  bool ran = false;
  next_tick([&] { ran = true; });
  queue_microtask([&] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(ran);
}

TEST_F(NextTick, StoreSetAroundSchedulingIsSeenInTickAndMicrotask) {
  tether::async_local_storage<std::string> als;
  std::vector<std::string> seen;
  const auto see = [&] {
    const std::string* s = als.get_store();
    seen.push_back(s != nullptr ? *s : "none");
  };
  als.run("tick", [&] { next_tick(see); });
  als.run("micro", [&] { queue_microtask(see); });
  next_tick(see);
  queue_microtask(see);
  EXPECT_EQ(als.get_store(), nullptr);
  loop().run();
  EXPECT_THAT(seen, ElementsAre("tick", "none", "micro", "none"));
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(NextTick, EnterWithInsideATickDoesNotLeakIntoTheNextTick) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  const auto see = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  next_tick([&] {
    als.enter_with(1);
    see();
    queue_microtask(see);
  });
  next_tick(see);
  queue_microtask(see);
  loop().run();
  EXPECT_THAT(seen, ElementsAre(1, -1, -1, 1));
}

// 100000 ticks, each scheduling the next from inside its callback: all run
// in the one drain (no recursion), each triggered by the previous one.
TEST_F(NextTick, HundredThousandChainedTicks) {
  rec().disable();
  tether::test::expect_balanced_chain(loop(), top(), 100'000,
                                      [](auto&& f) { next_tick(std::forward<decltype(f)>(f)); });
}

TEST_F(NextTick, HundredThousandChainedMicrotasks) {
  rec().disable();
  tether::test::expect_balanced_chain(
      loop(), top(), 100'000, [](auto&& f) { queue_microtask(std::forward<decltype(f)>(f)); });
}

}  // namespace
