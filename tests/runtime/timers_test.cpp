// Timers: set_timeout / set_interval / clear_* / refresh / ref / unref as
// "Timeout" resources. Node: test/async-hooks/test-timers.setTimeout.js,
// test-timers.setInterval.js, test-graph.timeouts.js, test-graph.intervals.js,
// parallel/test-timers-*.js. Deliberate difference from Node: `destroy`
// fires synchronously, right after the last `after` (or inside clear_*).
#include <tether/timers.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::clear_interval;
using tether::clear_timeout;
using tether::execution_async_id;
using tether::next_tick;
using tether::queue_microtask;
using tether::set_interval;
using tether::set_timeout;
using tether::timeout;
using tether::trigger_async_id;
using tether::test::invocation_counts;

class Timers : public tether::test::loop_fixture {};

TEST_F(Timers, SetTimeoutIsOneTimeoutResource) {
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  const tether::resource* in_cb_resource = nullptr;
  const timeout t = set_timeout([&] {
    mark("cb");
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    in_cb_resource = &tether::execution_async_resource();
  });
  const async_id id = t.id();
  ASSERT_NE(id, 0u);
  // init is synchronous, in the scheduling context.
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top())));
  ASSERT_EQ(rec().records().size(), 1u);
  EXPECT_EQ(rec().records()[0].execution_id, top());

  EXPECT_EQ(loop().run(), 0);

  EXPECT_THAT(log(),
              ElementsAre(init("Timeout", id, top()), before(id), "cb", after(id), destroy(id)));
  EXPECT_EQ(in_cb, id);
  EXPECT_EQ(in_cb_trigger, top());
  EXPECT_EQ(in_cb_resource, rec().records()[0].res);
  ASSERT_NE(in_cb_resource, nullptr);
  EXPECT_EQ(execution_async_id(), top());  // restored after the callback
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(Timers, ResourceTypeAndIdVisibleInsideCallback) {
  std::string type;
  async_id id_in_cb = 0;
  const timeout t = set_timeout([&] {
    type = std::string(tether::execution_async_resource().type());
    id_in_cb = tether::execution_async_resource().id();
  });
  loop().run();
  EXPECT_EQ(type, "Timeout");
  EXPECT_EQ(id_in_cb, t.id());
}

// test-graph.timeouts.js: a timer created in a timer's callback has that
// timer as its trigger, so the ids form a chain.
TEST_F(Timers, TimerCreatedInTimerCallbackHasThatTimerAsTrigger) {
  async_id id2 = 0;
  async_id id3 = 0;
  async_id trigger_in_3 = 0;
  const timeout t1 = set_timeout(
      [&] {
        id2 = set_timeout(
                  [&] { id3 = set_timeout([&] { trigger_in_3 = trigger_async_id(); }, 1ms).id(); },
                  1ms)
                  .id();
      },
      1ms);
  const async_id id1 = t1.id();
  loop().run();
  ASSERT_NE(id2, 0u);
  ASSERT_NE(id3, 0u);
  EXPECT_LT(id1, id2);
  EXPECT_LT(id2, id3);
  EXPECT_EQ(trigger_in_3, id2);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id1, top()),  //
                                 before(id1), init("Timeout", id2, id1), after(id1), destroy(id1),
                                 before(id2), init("Timeout", id3, id2), after(id2), destroy(id2),
                                 before(id3), after(id3), destroy(id3)));
}

TEST_F(Timers, TimerCreatedInTickHasTheTickAsTrigger) {
  async_id tick = 0;
  async_id timer = 0;
  next_tick([&] {
    tick = execution_async_id();
    timer = set_timeout([] {}).id();
  });
  loop().run();
  ASSERT_NE(tick, 0u);
  EXPECT_EQ(rec().activities_of_type("Timeout").at(0).trigger, tick);
  EXPECT_EQ(rec().activities_of_type("Timeout").at(0).id, timer);
}

// Node: a delay below 1 ms (0, negative) is 1 ms. So a 0 ms timer scheduled
// after a 1 ms timer joins the same list and fires after it.
TEST_F(Timers, ZeroAndNegativeDelayBehaveAsOneMillisecond) {
  std::vector<std::string> order;
  set_timeout([&] { order.push_back("1ms"); }, 1ms);
  set_timeout([&] { order.push_back("0ms"); }, 0ms);
  set_timeout([&] { order.push_back("-5ms"); }, -5ms);
  set_timeout([&] { order.push_back("default"); });
  set_timeout([&] { order.push_back("10ms"); }, 10ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("1ms", "0ms", "-5ms", "default", "10ms"));
}

TEST_F(Timers, EqualDurationsFireInSchedulingOrder) {
  std::vector<int> order;
  std::vector<timeout> handles;
  for (int i = 0; i < 10; ++i) {
    handles.push_back(set_timeout([&order, i] { order.push_back(i); }, 5ms));
  }
  loop().run();
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

TEST_F(Timers, DifferentDurationsFireInExpiryOrder) {
  std::vector<std::string> order;
  set_timeout([&] { order.push_back("400"); }, 400ms);
  set_timeout([&] { order.push_back("10"); }, 10ms);
  set_timeout([&] { order.push_back("300"); }, 300ms);
  set_timeout([&] { order.push_back("1"); }, 1ms);
  // Scheduled later with a shorter delay: expires at ~5 + 10 ms, after 10,
  // before 300 and 400. (The wide gap keeps the order even when a loaded
  // machine, or ASan, stalls the loop for tens of milliseconds: a stall
  // long enough to make 300 due before "5" runs would let it pass 5+10.)
  set_timeout(
      [&] {
        order.push_back("5");
        set_timeout([&] { order.push_back("5+10"); }, 10ms);
      },
      5ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("1", "5", "10", "5+10", "300", "400"));
}

// A timer added to a list while that list runs starts its countdown then:
// it is not due in the same pass.
// (50 ms lists: d must expire between a and a + 50 ms even when ASan or a
// loaded machine stalls the test between two set_timeout calls.)
TEST_F(Timers, TimerAddedToTheRunningListWaitsItsFullDuration) {
  std::vector<std::string> order;
  set_timeout(
      [&] {
        order.push_back("a");
        set_timeout([&] { order.push_back("c (from a)"); }, 50ms);
      },
      50ms);
  set_timeout([&] { order.push_back("b"); }, 50ms);
  set_timeout([&] { order.push_back("d"); }, 70ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("a", "b", "d", "c (from a)"));
}

// 1000 timers with mixed durations fire sorted by (expiry, insertion), where
// expiry = the loop time when set_timeout was called + the duration. The
// durations are 30 ms apart, far more than scheduling all of them takes, so
// a late wake-up cannot reorder them (Node's lists run every due timer of
// one duration before the next list, as tether's do).
TEST_F(Timers, ThousandMixedTimersFireSortedByExpiryThenInsertion) {
  rec().disable();  // keep scheduling fast: this test is about order only
  constexpr int count = 1000;
  std::vector<std::uint64_t> expiry(count);
  std::uint32_t x = 12345;
  std::vector<int> fired;
  fired.reserve(count);
  for (int i = 0; i < count; ++i) {
    x = x * 1103515245u + 12345u;
    const std::uint64_t duration = 30 * ((x >> 16) % 10 + 1);  // 30..300 ms
    set_timeout([&fired, i] { fired.push_back(i); },
                std::chrono::milliseconds(static_cast<std::int64_t>(duration)));
    // The timer's countdown started at the loop time of this call.
    expiry[static_cast<std::size_t>(i)] = uv_now(loop().native_handle()) + duration;
  }
  loop().run();

  std::vector<int> expected(count);
  std::iota(expected.begin(), expected.end(), 0);
  std::stable_sort(expected.begin(), expected.end(), [&](int a, int b) {
    return expiry[static_cast<std::size_t>(a)] < expiry[static_cast<std::size_t>(b)];
  });
  ASSERT_EQ(fired.size(), expected.size());
  for (std::size_t k = 0; k < fired.size(); ++k) {
    const auto f = static_cast<std::size_t>(fired[k]);
    const auto e = static_cast<std::size_t>(expected[k]);
    ASSERT_EQ(f, e) << "#" << k << " fired: timer " << f << " (expiry " << expiry[f]
                    << "), expected: timer " << e << " (expiry " << expiry[e] << ")";
  }
}

// After every timer callback: all ticks, then all microtasks, before the
// next timer of the same list.
TEST_F(Timers, TickAndMicrotaskDrainRunsAfterEachTimerCallback) {
  const timeout t1 = set_timeout(
      [&] {
        mark("t1");
        queue_microtask([&] { mark("micro"); });
        next_tick([&] { mark("tick"); });
      },
      2ms);
  const timeout t2 = set_timeout([&] { mark("t2"); }, 2ms);
  const async_id a = t1.id();
  const async_id b = t2.id();
  loop().run();
  const async_id m = last_id("Microtask");
  const async_id k = last_id("TickObject");
  EXPECT_THAT(log(), ElementsAre(init("Timeout", a, top()), init("Timeout", b, top()),  //
                                 before(a), "t1", init("Microtask", m, a), init("TickObject", k, a),
                                 after(a), destroy(a),                      //
                                 before(k), "tick", after(k), destroy(k),   //
                                 before(m), "micro", after(m), destroy(m),  //
                                 before(b), "t2", after(b), destroy(b)));
}

// test-timers.setInterval.js: one id for the whole interval, one
// before/after per run; clear_interval inside its own callback gives
// `destroy` right after that callback's `after`, before the drain.
TEST_F(Timers, IntervalHasOneIdAndDestroyAfterClearInOwnCallback) {
  int runs = 0;
  timeout iv;
  iv = set_interval(
      [&] {
        ++runs;
        mark("run " + std::to_string(runs));
        if (runs == 3) {
          clear_interval(iv);
          mark("cleared");
          next_tick([&] { mark("tick"); });
        }
      },
      1ms);
  const async_id id = iv.id();
  loop().run();
  const async_id k = last_id("TickObject");
  EXPECT_EQ(runs, 3);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()),      //
                                 before(id), "run 1", after(id),  //
                                 before(id), "run 2", after(id),  //
                                 before(id), "run 3", "cleared", init("TickObject", k, id),
                                 after(id), destroy(id),  //
                                 before(k), "tick", after(k), destroy(k)));
}

TEST_F(Timers, IntervalClearedFromATickDestroysAtOnce) {
  int runs = 0;
  timeout iv;
  iv = set_interval(
      [&] {
        if (++runs == 2) {
          next_tick([&] {
            mark("clearing");
            clear_interval(iv);
            mark("cleared");
          });
        }
      },
      1ms);
  const async_id id = iv.id();
  loop().run();
  const async_id k = last_id("TickObject");
  EXPECT_EQ(runs, 2);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), before(id), after(id), before(id),
                                 init("TickObject", k, id), after(id), before(k), "clearing",
                                 destroy(id), "cleared", after(k), destroy(k)));
}

TEST_F(Timers, IntervalClearedByAnotherTimerStops) {
  int runs = 0;
  timeout iv = set_interval([&] { ++runs; }, 2ms);
  const timeout stop = set_timeout([&] { clear_interval(iv); }, 15ms);
  loop().run();
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 7);
  EXPECT_EQ(rec().invocations(iv.id()),
            (invocation_counts{.init = 1, .before = runs, .after = runs, .destroy = 1}));
  // destroy of the interval happened inside the stopper's callback.
  EXPECT_THAT(rec().events(),
              ::testing::IsSupersetOf({before(stop.id()), destroy(iv.id()), after(stop.id())}));
  const std::vector<std::string> ev = rec().events();
  const auto pos = [&](const std::string& s) {
    return std::find(ev.begin(), ev.end(), s) - ev.begin();
  };
  EXPECT_LT(pos(before(stop.id())), pos(destroy(iv.id())));
  EXPECT_LT(pos(destroy(iv.id())), pos(after(stop.id())));
}

// An interval's period is its delay, counted from the start of each run
// (Node's listOnTimeout: `start = getLibuvNow()` before the callback). Two
// tests that hold under any load: timestamps between runs give a lower
// bound (a period too short); a period too long (doubled, say) is caught by
// order, not by time.
TEST_F(Timers, IntervalRunsNoSoonerThanItsPeriod) {
  constexpr auto period = 20ms;
  constexpr std::size_t runs = 5;
  std::vector<std::chrono::steady_clock::time_point> at;
  std::vector<std::uint64_t> loop_at;
  timeout iv = set_interval(
      [&] {
        at.push_back(std::chrono::steady_clock::now());
        loop_at.push_back(tether::event_loop::current().now());
        if (at.size() == runs) {
          clear_interval(iv);
        }
      },
      period);
  const auto started = std::chrono::steady_clock::now();
  loop().run();
  ASSERT_EQ(at.size(), runs);
  EXPECT_GE(at[0] - started, period - 1ms);
  for (std::size_t i = 1; i < runs; ++i) {
    // libuv counts whole milliseconds: the loop time advances by at least
    // the period, the clock by at least the period less one millisecond.
    EXPECT_GE(loop_at[i] - loop_at[i - 1], std::uint64_t{period.count()}) << "run " << i;
    EXPECT_GE(at[i] - at[i - 1], period - 1ms) << "run " << i;
    EXPECT_LT(at[i] - at[i - 1], 10s) << "run " << i;  // only: not stuck
  }
}

// A timeout of the same delay started inside each run is due no sooner than
// the interval's next run (it starts counting later, in the same list): the
// two fire in the same timers phase, the timeout first (it was appended to
// the list first), before that turn's check phase (its immediate), however
// late the phase comes. A longer period would let the immediate run first.
TEST_F(Timers, IntervalRunsAsSoonAsItsPeriodHasPassed) {
  constexpr auto period = 20ms;
  constexpr int runs = 5;
  int count = 0;
  timeout iv = set_interval(
      [&] {
        mark("run");
        if (++count == runs) {
          clear_interval(iv);
          return;
        }
        set_timeout(
            [this] {
              mark("same-delay");
              tether::set_immediate([this] { mark("next-turn"); });
            },
            period);
      },
      period);
  loop().run();
  std::vector<std::string> expected{"run"};
  for (int i = 1; i < runs; ++i) {
    expected.insert(expected.end(), {"same-delay", "run", "next-turn"});
  }
  EXPECT_EQ(markers(), expected);
}

TEST_F(Timers, ClearTimeoutBeforeFiringDestroysWithoutBeforeOrAfter) {
  bool ran = false;
  timeout t = set_timeout([&] { ran = true; }, 1ms);
  const async_id id = t.id();
  clear_timeout(t);
  // destroy is synchronous, inside clear_timeout.
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), destroy(id)));
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(ran);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), destroy(id)));
  EXPECT_EQ(t.id(), id);  // the handle still names it
}

TEST_F(Timers, ClearTimeoutFromAnotherTimerOfTheSameList) {
  // Both due in the same pass: the first clears the second, which never runs.
  timeout second;
  const timeout first = set_timeout([&] { clear_timeout(second); }, 3ms);
  second = set_timeout([&] { mark("second ran"); }, 3ms);
  const timeout third = set_timeout([&] { mark("third"); }, 3ms);
  const async_id a = first.id();
  const async_id b = second.id();
  const async_id c = third.id();
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init("Timeout", a, top()), init("Timeout", b, top()),
                                 init("Timeout", c, top()), before(a), destroy(b), after(a),
                                 destroy(a), before(c), "third", after(c), destroy(c)));
}

TEST_F(Timers, ClearingTwiceEmptyOrFiredHandleIsANoOp) {
  timeout empty;
  EXPECT_NO_THROW(clear_timeout(empty));
  EXPECT_NO_THROW(clear_interval(empty));
  EXPECT_EQ(empty.id(), 0u);
  EXPECT_FALSE(empty.has_ref());
  EXPECT_NO_THROW(empty.refresh().unref().ref());

  timeout cleared = set_timeout([] {}, 1ms);
  clear_timeout(cleared);
  EXPECT_NO_THROW(clear_timeout(cleared));
  EXPECT_NO_THROW(clear_interval(cleared));

  timeout fired = set_timeout([] {}, 1ms);
  loop().run();
  EXPECT_NO_THROW(clear_timeout(fired));
  EXPECT_NO_THROW(clear_interval(fired));
  EXPECT_NO_THROW(fired.refresh());
  EXPECT_EQ(loop().run(), 0);

  EXPECT_EQ(rec().invocations(cleared.id()), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_EQ(rec().invocations(fired.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(Timers, ClearTimeoutInsideOwnCallbackIsHarmless) {
  timeout t;
  t = set_timeout(
      [&] {
        clear_timeout(t);
        clear_timeout(t);
        mark("cb");
      },
      1ms);
  const async_id id = t.id();
  loop().run();
  EXPECT_THAT(log(),
              ElementsAre(init("Timeout", id, top()), before(id), "cb", after(id), destroy(id)));
}

TEST_F(Timers, CopiesOfAHandleReferToTheSameTimer) {
  bool ran = false;
  const timeout a = set_timeout([&] { ran = true; }, 1ms);
  timeout b = a;
  EXPECT_EQ(a.id(), b.id());
  clear_timeout(b);
  loop().run();
  EXPECT_FALSE(ran);
  EXPECT_EQ(rec().invocations(a.id()), (invocation_counts{.init = 1, .destroy = 1}));
}

TEST_F(Timers, DiscardingTheHandleDoesNotCancel) {
  bool ran = false;
  async_id id = 0;
  {
    const timeout t = set_timeout([&] { ran = true; }, 1ms);
    id = t.id();
  }
  set_timeout([&] { mark("no handle at all"); });
  loop().run();
  EXPECT_TRUE(ran);
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  EXPECT_THAT(log(), ::testing::Contains("no handle at all"));
}

// refresh() restarts the countdown from now: a 50 ms timer refreshed at
// ~30 ms fires after a 70 ms timer scheduled with it.
TEST_F(Timers, RefreshPushesTheDeadline) {
  std::uint64_t refreshed_at = 0;  // loop time (ms)
  std::uint64_t fired_at = 0;
  std::vector<std::string> order;
  timeout t = set_timeout(
      [&] {
        order.push_back("t50");
        fired_at = uv_now(loop().native_handle());
      },
      50ms);
  set_timeout([&] { order.push_back("u70"); }, 70ms);
  set_timeout(
      [&] {
        order.push_back("r30");
        t.refresh();
        refreshed_at = uv_now(loop().native_handle());
      },
      30ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("r30", "u70", "t50"));
  EXPECT_GE(fired_at - refreshed_at, 50u);  // a full 50 ms from the refresh
  EXPECT_EQ(rec().invocations(t.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

// Node: timeout.refresh() inside its own callback re-arms a fired timeout
// (it runs again, same id, one destroy at the end).
TEST_F(Timers, RefreshInsideOwnCallbackRunsItAgain) {
  int runs = 0;
  timeout t;
  t = set_timeout(
      [&] {
        if (++runs < 2) {
          t.refresh();
        }
      },
      1ms);
  const async_id id = t.id();
  loop().run();
  EXPECT_EQ(runs, 2);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), before(id), after(id), before(id),
                                 after(id), destroy(id)));
}

TEST_F(Timers, RefreshThenClearInsideOwnCallbackDestroysOnce) {
  int runs = 0;
  timeout t;
  t = set_timeout(
      [&] {
        ++runs;
        t.refresh();
        clear_timeout(t);
      },
      1ms);
  const async_id id = t.id();
  loop().run();
  EXPECT_EQ(runs, 1);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), before(id), after(id), destroy(id)));
}

TEST_F(Timers, RefreshAfterFiredOrClearedDoesNothing) {
  int runs = 0;
  timeout fired = set_timeout([&] { ++runs; }, 1ms);
  loop().run();
  fired.refresh();
  timeout cleared = set_timeout([&] { ++runs; }, 1ms);
  clear_timeout(cleared);
  cleared.refresh();
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(runs, 1);
}

// An unref'd timer does not keep run() going: run() returns, the callback
// has not run, the handle is still valid; ref() again and run() fires it.
TEST_F(Timers, UnrefdTimerDoesNotKeepRunAlive) {
  bool ran = false;
  timeout t = set_timeout([&] { ran = true; }, 5ms);
  EXPECT_TRUE(t.has_ref());
  EXPECT_FALSE(t.unref().has_ref());
  const async_id id = t.id();
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(ran);  // run() did not wait for it
  EXPECT_EQ(t.id(), id);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top())));

  EXPECT_TRUE(t.ref().has_ref());
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(ran);
  EXPECT_THAT(log(), ElementsAre(init("Timeout", id, top()), before(id), after(id), destroy(id)));
}

TEST_F(Timers, UnrefdTimerStillFiresWhileOtherWorkKeepsTheLoopAlive) {
  std::vector<std::string> order;
  timeout weak = set_timeout([&] { order.push_back("unrefd 2ms"); }, 2ms);
  weak.unref();
  set_timeout([&] { order.push_back("refd 30ms"); }, 30ms);
  loop().run();
  EXPECT_THAT(order, ElementsAre("unrefd 2ms", "refd 30ms"));
}

TEST_F(Timers, UnrefdIntervalEndsWithTheLastRefdWork) {
  int runs = 0;
  timeout iv = set_interval([&] { ++runs; }, 1ms);
  iv.unref();
  set_timeout([] {}, 10ms);
  loop().run();
  EXPECT_GE(runs, 1);  // ran while the 10 ms timer kept the loop alive
  const int before_second_run = runs;
  loop().run();  // nothing ref'd is left: returns at once
  EXPECT_EQ(runs, before_second_run);
  clear_interval(iv);
  EXPECT_EQ(rec().invocations(iv.id()).destroy, 1);
}

TEST_F(Timers, StoreSetAroundSchedulingIsSeenInTimeoutAndIntervalCallbacks) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  const auto see = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  timeout iv;
  int runs = 0;
  als.run(7, [&] {
    set_timeout(see, 1ms);
    iv = set_interval(
        [&] {
          see();
          if (++runs == 2) {
            clear_interval(iv);
          }
        },
        1ms);
  });
  set_timeout(see, 1ms);  // scheduled outside: no store
  EXPECT_EQ(als.get_store(), nullptr);
  loop().run();
  EXPECT_THAT(seen, ElementsAre(7, 7, -1, 7));
  EXPECT_EQ(als.get_store(), nullptr);
}

// enter_with() inside a timer callback lasts until that callback ends: the
// next timer does not see it, but work scheduled after it does.
TEST_F(Timers, EnterWithInsideATimerDoesNotLeakIntoTheNextTimer) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  const auto see = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  set_timeout(
      [&] {
        als.enter_with(42);
        see();
        next_tick(see);
        set_timeout(see, 1ms);
      },
      1ms);
  set_timeout(see, 1ms);
  loop().run();
  EXPECT_THAT(seen, ElementsAre(42, 42, -1, 42));
  EXPECT_EQ(als.get_store(), nullptr);
}

// 1,000,000 pending timers (1000 lists) can be scheduled and cleared, each
// with its init and destroy.
TEST_F(Timers, MillionPendingTimersScheduleAndClear) {
  rec().disable();  // the full recorder would keep millions of records
  tether::test::balance_counter counter;
  constexpr std::size_t count = 1'000'000;
  std::vector<timeout> handles;
  handles.reserve(count);
  int ran = 0;
  for (std::size_t i = 0; i < count; ++i) {
    handles.push_back(set_timeout([&ran] { ++ran; },
                                  std::chrono::milliseconds(60'000 + static_cast<int>(i % 1000))));
  }
  EXPECT_EQ(counter.inits, count);
  // Clear in an order unrelated to scheduling: every other one, then the rest.
  for (std::size_t i = 0; i < count; i += 2) {
    clear_timeout(handles[i]);
  }
  for (std::size_t i = count; i-- > 0;) {
    clear_timeout(handles[i]);
  }
  EXPECT_EQ(counter.destroys, count);
  EXPECT_EQ(counter.live(), 0u);
  EXPECT_EQ(counter.problems, 0u);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(counter.befores, 0u);
  handles.clear();
}

}  // namespace
