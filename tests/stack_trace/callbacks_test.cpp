// Creation hops through the runtime's callbacks: timers, immediates, ticks,
// microtasks, fs and queue_work; each hop labelled with its type and id and
// showing the user function that created it, tether's frames hidden.
#include <tether/stack_trace.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/fs.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class Callbacks : public trace_fixture {};

async_trace seen;  // the trace a callback took
async_id first_id = 0;

TETHER_NOINLINE void take_trace_now() { seen = async_stack_trace(); }

TETHER_NOINLINE void arm_timeout_in_user_code() {
  first_id = set_timeout([] { take_trace_now(); }, std::chrono::milliseconds(1)).id();
}

TEST_F(Callbacks, TimeoutHopShowsWhereItWasSet) {
  arm_timeout_in_user_code();
  loop().run();
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(mentions(seen.frames(), "take_trace_now"));
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].what, async_hop::kind::created);
  EXPECT_EQ(hops[0].type, "Timeout");
  EXPECT_EQ(hops[0].id, first_id);
  EXPECT_TRUE(hops[0].recorded);
  EXPECT_TRUE(mentions(hops[0].frames, "arm_timeout_in_user_code"));
  EXPECT_FALSE(seen.truncated());
  const std::string text = to_string(seen);
  EXPECT_THAT(text, HasSubstr("-- Timeout " + std::to_string(first_id) + " created at:\n"));
  EXPECT_THAT(text, HasSubstr("arm_timeout_in_user_code()"));
  EXPECT_THAT(text, HasSubstr("callbacks_test.cpp:"));
  EXPECT_THAT(text, Not(HasSubstr("tether::detail::"))) << text;
  EXPECT_THAT(text, Not(HasSubstr("/include/tether/"))) << text;
  EXPECT_THAT(text, Not(HasSubstr("/src/runtime/"))) << text;
  seen = {};
}

TETHER_NOINLINE void fourth_hop_in_microtask() { take_trace_now(); }
TETHER_NOINLINE void third_hop_in_tick() {
  queue_microtask([] { fourth_hop_in_microtask(); });
}
TETHER_NOINLINE void second_hop_in_immediate() {
  next_tick([] { third_hop_in_tick(); });
}
TETHER_NOINLINE void first_hop_in_timeout() {
  set_immediate([] { second_hop_in_immediate(); });
}

TEST_F(Callbacks, ChainThroughImmediateTickAndMicrotask) {
  const timeout t = set_timeout([] { first_hop_in_timeout(); });
  loop().run();
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 4u) << to_string(seen);
  EXPECT_EQ(hops[0].type, "Microtask");
  EXPECT_TRUE(mentions(hops[0].frames, "third_hop_in_tick"));
  EXPECT_EQ(hops[1].type, "TickObject");
  EXPECT_TRUE(mentions(hops[1].frames, "second_hop_in_immediate"));
  EXPECT_EQ(hops[2].type, "Immediate");
  EXPECT_TRUE(mentions(hops[2].frames, "first_hop_in_timeout"));
  EXPECT_EQ(hops[3].type, "Timeout");
  EXPECT_EQ(hops[3].id, t.id());
  EXPECT_TRUE(mentions(hops[3].frames, "TestBody"));
  // Each hop is the resource its successor was created in.
  for (std::size_t i = 0; i + 1 < hops.size(); ++i) {
    EXPECT_LT(hops[i + 1].id, hops[i].id);
  }
  seen = {};
}

TEST_F(Callbacks, InternalFramesAreShownWhenAskedFor) {
  arm_timeout_in_user_code();
  loop().run();
  stack_trace_options o;
  o.show_internal_frames = true;
  const std::string text = to_string(seen, o);
  EXPECT_THAT(text, HasSubstr("tether::detail::"));
  EXPECT_THAT(text, HasSubstr("/src/runtime/timers.cpp:"));
  EXPECT_THAT(text, HasSubstr("libuv.so"));
  EXPECT_THAT(to_string(seen), Not(HasSubstr("tether::detail::")));
  seen = {};
}

}  // namespace
}  // namespace tether::test
