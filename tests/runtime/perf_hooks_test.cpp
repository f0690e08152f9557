// <tether/perf_hooks.hpp> on one thread (Node: test-performance-*.js,
// test-performanceobserver*.js, test-performance-eventloopdelay.js,
// test-performance-eventlooputil.js): the clock, marks and measures in every
// form and their errors, the timeline's order and bound, observers (delivery
// in an Immediate, in Node's order; buffered; take_records; disconnect),
// timerify, event_loop_utilization and monitor_event_loop_delay. The
// histogram math: histogram_test.cpp; against Node itself:
// tests/differential/scenarios/perf_*.
#include <tether/perf_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::performance_entry;
using tether::performance_observer;
using tether::performance_observer_entry_list;
using tether::usage_error;
namespace performance = tether::performance;

void spin_for(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

std::string names(const std::vector<performance_entry>& v) {
  std::string s;
  for (const performance_entry& e : v) {
    s += (s.empty() ? "" : ",") + std::string(e.entry_type) + ":" + e.name;
  }
  return s;
}

class PerfHooks : public tether::test::loop_fixture {
 protected:
  void SetUp() override {
    loop_fixture::SetUp();
    performance::clear_marks();
    performance::clear_measures();
    performance::set_buffer_limit(1'000'000);
  }
};

TEST_F(PerfHooks, NowIsMillisecondsSinceTheTimeOrigin) {
  const double a = performance::now();
  std::this_thread::sleep_for(5ms);
  const double b = performance::now();
  EXPECT_GE(a, 0);
  EXPECT_LT(a, 1e6) << "small in a fresh process, as Node's";
  EXPECT_GE(b - a, 5);
  const double epoch_now =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(performance::time_origin() + performance::now(), epoch_now, 50);
}

TEST_F(PerfHooks, MarkKeepsItsDetailAndStartTime) {
  const performance_entry m = performance::mark("a", {.detail = 42});
  EXPECT_EQ(m.name, "a");
  EXPECT_EQ(m.entry_type, "mark");
  EXPECT_EQ(m.duration, 0);
  EXPECT_EQ(std::any_cast<int>(m.detail), 42);
  const performance_entry n = performance::mark("b", {.start_time = 1.5});
  EXPECT_EQ(n.start_time, 1.5);
  EXPECT_FALSE(n.detail.has_value());
  EXPECT_THROW(performance::mark("c", {.start_time = -1}), usage_error);
}

TEST_F(PerfHooks, MeasureInEveryForm) {
  performance::mark("a", {.start_time = 10});
  performance::mark("b", {.start_time = 25});
  const auto from_origin = performance::measure("origin");
  EXPECT_EQ(from_origin.start_time, 0);
  EXPECT_GT(from_origin.duration, 0);
  const auto from_a = performance::measure("a-now", "a");
  EXPECT_EQ(from_a.entry_type, "measure");
  EXPECT_EQ(from_a.start_time, 10);
  EXPECT_NEAR(from_a.duration, performance::now() - 10, 5);
  const auto a_b = performance::measure("a-b", "a", "b");
  EXPECT_EQ(a_b.start_time, 10);
  EXPECT_EQ(a_b.duration, 15);
  const auto start_duration = performance::measure("s+d", {.start = "b", .duration = 4.0});
  EXPECT_EQ(start_duration.start_time, 25);
  EXPECT_EQ(start_duration.duration, 4);
  const auto end_duration = performance::measure("e-d", {.end = "b", .duration = 5.0, .detail = std::string("x")});
  EXPECT_EQ(end_duration.start_time, 20);
  EXPECT_EQ(end_duration.duration, 5);
  EXPECT_EQ(std::any_cast<std::string>(end_duration.detail), "x");
  const auto numbers = performance::measure("n", {.start = 1.0, .end = 3.5});
  EXPECT_EQ(numbers.start_time, 1);
  EXPECT_EQ(numbers.duration, 2.5);
  // A later mark of the same name is the one measure() uses.
  performance::mark("a", {.start_time = 20});
  EXPECT_EQ(performance::measure("a2-b", "a", "b").duration, 5);
}

TEST_F(PerfHooks, MeasureErrorsNameTheProblem) {
  try {
    performance::measure("m", "nope");
    ADD_FAILURE() << "no throw";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("\"nope\" performance mark has not been set"));
  }
  performance::mark("a");
  EXPECT_THROW(performance::measure("m", {.start = "a", .end = "a", .duration = 1.0}), usage_error);
  EXPECT_THROW(performance::measure("m", {.duration = 1.0}), usage_error);
  EXPECT_THROW(performance::measure("m", {.start = -1.0}), usage_error);
  performance::clear_marks("a");
  EXPECT_THROW(performance::measure("m", "a"), usage_error) << "a cleared mark is gone for measure";
  EXPECT_TRUE(performance::get_entries_by_type("measure").empty()) << "failed measures add nothing";
}

TEST_F(PerfHooks, TheTimelineIsSortedByStartTimeAndFilterable) {
  performance::mark("x", {.start_time = 5});
  performance::mark("y", {.start_time = 2});
  performance::measure("m", "y", "x");  // start 2: after mark y (stable)
  performance::mark("x", {.start_time = 7});
  EXPECT_EQ(names(performance::get_entries()), "mark:y,measure:m,mark:x,mark:x");
  EXPECT_EQ(names(performance::get_entries_by_name("x")), "mark:x,mark:x");
  EXPECT_EQ(names(performance::get_entries_by_name("m", "mark")), "");
  EXPECT_EQ(names(performance::get_entries_by_name("m", "measure")), "measure:m");
  EXPECT_EQ(names(performance::get_entries_by_type("mark")), "mark:y,mark:x,mark:x");
  EXPECT_EQ(names(performance::get_entries_by_type("function")), "");
  performance::clear_marks("x");
  EXPECT_EQ(names(performance::get_entries()), "mark:y,measure:m");
  performance::clear_measures("m");
  performance::mark("z");
  performance::clear_marks();
  EXPECT_TRUE(performance::get_entries().empty());
}

TEST_F(PerfHooks, TheTimelineIsBoundedAndSaysSoOnce) {
  performance::set_buffer_limit(3);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) {
    const auto e = performance::mark("m" + std::to_string(i));
    EXPECT_EQ(e.name, "m" + std::to_string(i)) << "still returned";
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(performance::get_entries().size(), 3u);
  EXPECT_THAT(err, ::testing::HasSubstr("holds 3 mark entries"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_THROW(performance::set_buffer_limit(0), usage_error);
}

// The order Node prints (docs: ../shared/reference/node-perf-hooks-workers.md),
// from a timer callback so the phases are deterministic: the observer's
// delivery is an Immediate queued at the first mark, so it runs before the
// immediate queued after it, and gets every entry buffered until then.
TEST_F(PerfHooks, ObserverDeliveryOrderAsNode) {
  std::optional<performance_observer> obs;
  async_id observer_scope = 0;
  tether::set_timeout([&] {
    obs.emplace([&](const performance_observer_entry_list& list, performance_observer& o) {
      EXPECT_EQ(&o, &*obs);
      observer_scope = tether::execution_async_id();
      mark("observer:" + names(list.get_entries()));
    });
    obs->observe({.entry_types = {"mark", "measure"}});
    performance::mark("a");
    tether::next_tick([&] { mark("tick"); });
    tether::queue_microtask([&] { mark("microtask"); });
    tether::set_immediate([&] { mark("immediate"); });
    tether::set_timeout([&] { mark("timeout0"); });
    performance::measure("a-now", "a");
    performance::mark("b");
    mark("sync-end");
  });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("sync-end", "tick", "microtask",
                                     "observer:mark:a,measure:a-now,mark:b", "immediate",
                                     "timeout0"));
  // It ran inside an Immediate resource (the first of the immediates).
  std::vector<async_id> immediates;
  for (const auto& r : rec().records()) {
    if (r.kind == tether::test::event_kind::init && r.type == "Immediate") {
      immediates.push_back(r.id);
    }
  }
  ASSERT_EQ(immediates.size(), 2u);
  EXPECT_EQ(observer_scope, immediates[0]);
}

TEST_F(PerfHooks, ObserversAreCalledInTheOrderTheyBecamePending) {
  std::vector<std::string> calls;
  performance_observer measures([&](const auto& l, auto&) { calls.push_back("measures:" + names(l.get_entries())); });
  performance_observer marks([&](const auto& l, auto&) { calls.push_back("marks:" + names(l.get_entries())); });
  measures.observe({.type = "measure"});
  marks.observe({.type = "mark"});
  performance::mark("m1", {.start_time = 3});
  performance::measure("me", {.start = 1.0, .end = 2.0});
  performance::mark("m0", {.start_time = 1});
  loop().run();
  // marks became pending first; each list is sorted by start time.
  EXPECT_THAT(calls, ElementsAre("marks:mark:m0,mark:m1", "measures:measure:me"));
}

TEST_F(PerfHooks, BufferedDeliversWhatTheTimelineHeldAlready) {
  performance::mark("early", {.start_time = 1});
  performance::measure("early-m", {.start = 1.0, .end = 2.0});
  std::vector<std::string> calls;
  performance_observer single([&](const auto& l, auto&) { calls.push_back("single:" + names(l.get_entries())); });
  performance_observer several([&](const auto& l, auto&) { calls.push_back("several:" + names(l.get_entries())); });
  performance_observer plain([&](const auto& l, auto&) { calls.push_back("plain:" + names(l.get_entries())); });
  single.observe({.type = "mark", .buffered = true});
  // Node ignores buffered with entryTypes; tether honours it (docs/perf_hooks.md).
  several.observe({.entry_types = {"mark", "measure"}, .buffered = true});
  plain.observe({.type = "mark"});
  loop().run();
  EXPECT_THAT(calls, ElementsAre("single:mark:early", "several:mark:early,measure:early-m"));
}

TEST_F(PerfHooks, TakeRecordsDisconnectAndDestroy) {
  std::vector<std::string> calls;
  performance_observer taken([&](const auto& l, auto&) { calls.push_back("taken:" + std::to_string(l.get_entries().size())); });
  performance_observer gone([&](const auto& l, auto&) { calls.push_back("gone:" + names(l.get_entries())); });
  std::optional<performance_observer> destroyed(std::in_place, [&](const auto&, auto&) { calls.emplace_back("destroyed"); });
  performance_observer selfish([&](const auto& l, performance_observer& me) {
    calls.push_back("selfish:" + names(l.get_entries()));
    me.disconnect();
    performance::mark("from-callback");
  });
  taken.observe({.type = "mark"});
  gone.observe({.type = "mark"});
  destroyed->observe({.type = "mark"});
  selfish.observe({.type = "mark"});
  performance::mark("a");
  EXPECT_EQ(names(taken.take_records()), "mark:a");
  gone.disconnect();
  destroyed.reset();
  loop().run();
  // Node calls an observer whose records were taken, with an empty list.
  EXPECT_THAT(calls, ElementsAre("taken:0", "selfish:mark:a", "taken:1"));
}

TEST_F(PerfHooks, ObserveMisuse) {
  performance_observer o([](const auto&, auto&) {});
  EXPECT_THROW(o.observe({}), usage_error);
  EXPECT_THROW(o.observe({.entry_types = {"mark"}, .type = "mark"}), usage_error);
  o.observe({.type = "mark"});
  EXPECT_THROW(o.observe({.entry_types = {"measure"}}), usage_error);
  o.observe({.type = "gc"});  // not produced by tether: ignored, as Node ignores unknown types
  EXPECT_THAT(performance_observer::supported_entry_types(), ElementsAre("function", "mark", "measure"));
  EXPECT_THROW(performance_observer(nullptr), usage_error);
  o.disconnect();
  destroy_loop();
  performance_observer late([](const auto&, auto&) {});
  EXPECT_THROW(late.observe({.type = "mark"}), usage_error) << "needs a loop";
}

TEST_F(PerfHooks, TimerifyEmitsFunctionEntriesToObserversOnly) {
  std::vector<std::string> calls;
  performance_observer o([&](const auto& l, auto&) { calls.push_back(names(l.get_entries())); });
  o.observe({.entry_types = {"function"}});
  auto h = tether::create_histogram();
  auto square = performance::timerify([](int x) { return x * x; }, "square", {.histogram = &h});
  auto fails = performance::timerify([]() -> int { throw std::runtime_error("no"); }, "fails");
  auto nothing = performance::timerify([] {}, "nothing");
  EXPECT_EQ(square(7), 49);
  nothing();
  EXPECT_THROW(fails(), std::runtime_error);
  EXPECT_EQ(h.count(), 1);
  EXPECT_GE(h.min(), 1);
  EXPECT_TRUE(performance::get_entries_by_type("function").empty());
  loop().run();
  EXPECT_THAT(calls, ElementsAre("function:square,function:nothing"));
}

TEST_F(PerfHooks, UtilizationIsZeroBeforeRunHighWhenBusyLowWhenIdle) {
  const auto before = performance::event_loop_utilization();
  EXPECT_EQ(before.idle, 0);
  EXPECT_EQ(before.active, 0);
  EXPECT_EQ(before.utilization, 0);
  performance::event_loop_utilization_result start{};
  performance::event_loop_utilization_result busy{};
  performance::event_loop_utilization_result idle{};
  tether::set_timeout([&] {
    start = performance::event_loop_utilization();
    spin_for(60ms);
    busy = performance::event_loop_utilization(start);
    tether::set_timeout([&] { idle = performance::event_loop_utilization(performance::event_loop_utilization(), start); },
                        200ms);
  });
  loop().run();
  EXPECT_GE(busy.utilization, 0.9) << busy.active << " active, " << busy.idle << " idle";
  EXPECT_LE(busy.utilization, 1.0);
  EXPECT_GE(busy.active, 55);
  // 60 ms busy, then ~200 ms waiting for the timer in the poll phase.
  EXPECT_LT(idle.utilization, 0.5) << idle.active << " active, " << idle.idle << " idle";
  EXPECT_GE(idle.idle, 150);
  EXPECT_GE(idle.utilization, 0.0);
}

TEST_F(PerfHooks, EventLoopDelayRecordsTheTimeBetweenFirings) {
  auto delay = tether::monitor_event_loop_delay({.resolution = 10ms});
  EXPECT_FALSE(delay.disable());
  EXPECT_TRUE(delay.enable());
  EXPECT_FALSE(delay.enable());
  // 150 ms of loop with a 40 ms busy block in the middle. The timer does
  // not keep the loop alive: the test's own timers do.
  tether::set_timeout([] { spin_for(40ms); }, 60ms);
  tether::set_timeout([] {}, 150ms);
  loop().run();
  EXPECT_TRUE(delay.disable());
  EXPECT_GE(delay.count(), 5);
  EXPECT_GE(delay.min(), 8'000'000) << "every sample is a whole interval (ns), as Node's";
  EXPECT_GE(delay.max(), 40'000'000) << "the busy block is in one sample";
  EXPECT_GE(delay.percentile(50), 9'000'000);
  EXPECT_EQ(delay.exceeds(), 0);
  const auto n = delay.count();
  tether::set_timeout([] {}, 30ms);
  loop().run();
  EXPECT_EQ(delay.count(), n) << "disabled: no samples";
  EXPECT_THROW(tether::monitor_event_loop_delay({.resolution = 0ms}), usage_error);
}

TEST_F(PerfHooks, AnEnabledDelayMonitorDoesNotKeepTheLoopAlive) {
  auto delay = tether::monitor_event_loop_delay();
  delay.enable();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(loop().run(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // It may outlive its loop: the loop's teardown closes the timer.
  destroy_loop();
  EXPECT_FALSE(delay.enable());
}

}  // namespace
