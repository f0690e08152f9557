#pragma once
// expect_balanced_chain: the stress check shared by the immediate, next_tick
// and queue_microtask tests. A long chain of callbacks, each scheduling the
// next from inside its own callback, must run to the end without recursion,
// each link triggered by the one before, and every init must get exactly one
// before, one after and one destroy.

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>

#include "runtime/loop_fixture.hpp"

namespace tether::test {

/// Runs `count` callbacks on `loop`: `schedule(f)` schedules callback f (a
/// small callable; set_immediate, next_tick, ...), the first from the top
/// level, whose execution id is `top`, each later one from inside the one
/// before. Counts events with a balance_counter: disable the fixture's
/// recorder first, or it records every event.
template <class Schedule>
void expect_balanced_chain(event_loop& loop, async_id top, int count, Schedule schedule) {
  balance_counter counter;
  int ran = 0;
  std::size_t wrong_trigger = 0;
  async_id prev = top;
  std::function<void()> step = [&] {
    if (trigger_async_id() != prev) {
      ++wrong_trigger;
    }
    prev = execution_async_id();
    if (++ran < count) {
      schedule([&] { step(); });
    }
  };
  schedule([&] { step(); });
  EXPECT_EQ(loop.run(), 0);
  const auto n = static_cast<std::size_t>(count);
  EXPECT_EQ(ran, count);
  EXPECT_EQ(wrong_trigger, 0u);
  EXPECT_EQ(counter.inits, n);
  EXPECT_EQ(counter.befores, n);
  EXPECT_EQ(counter.afters, n);
  EXPECT_EQ(counter.destroys, n);
  EXPECT_EQ(counter.live(), 0u);
  EXPECT_EQ(counter.problems, 0u);
}

}  // namespace tether::test
