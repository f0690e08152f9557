// The await chain of promise<T> coroutines: inside a coroutine, who awaits
// it and who awaits that one, each at the line of its co_await; and an
// exception thrown three co_awaits deep carries a trace naming all three.
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/promise.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class Coroutines : public trace_fixture {};

async_trace seen;
async_id innermost_id = 0;

TETHER_NOINLINE void take_trace_in_coroutine() { seen = async_stack_trace(); }

promise<int> innermost_coroutine() {
  co_await delay(1ms);
  innermost_id = execution_async_id();  // resumed inside its own PROMISE
  take_trace_in_coroutine();
  co_return 1;
}

constexpr unsigned middle_await_line = __LINE__ + 2;
promise<int> middle_coroutine() {
  const int v = co_await innermost_coroutine();  // the line the hop must show
  co_return v + 1;
}

constexpr unsigned outer_await_line = __LINE__ + 2;
promise<int> outer_coroutine() {
  const int v = co_await middle_coroutine();
  co_return v + 1;
}

TEST_F(Coroutines, AwaitChainNamesEveryAwaitingCoroutineAtItsAwait) {
  const promise<int> outer = outer_coroutine();
  loop().run();
  ASSERT_TRUE(outer.is_fulfilled());
  EXPECT_TRUE(mentions(seen.frames(), "take_trace_in_coroutine"));
  EXPECT_TRUE(mentions(seen.frames(), "innermost_coroutine"));
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_GE(hops.size(), 3u) << to_string(seen);
  EXPECT_EQ(hops[0].what, async_hop::kind::awaited_by);
  EXPECT_EQ(hops[0].type, "PROMISE");
  const stack_frame* middle = find_frame(hops[0].frames, "middle_coroutine");
  ASSERT_NE(middle, nullptr) << to_string(seen);
  EXPECT_THAT(middle->file, HasSubstr("coroutines_test.cpp")) << to_string(seen);
  EXPECT_EQ(middle->line, middle_await_line);
  EXPECT_EQ(hops[1].what, async_hop::kind::awaited_by);
  EXPECT_EQ(hops[1].id, outer.id());
  const stack_frame* outer_frame = find_frame(hops[1].frames, "outer_coroutine");
  ASSERT_NE(outer_frame, nullptr) << to_string(seen);
  EXPECT_EQ(outer_frame->line, outer_await_line);
  // Awaiters are older (created first) the further out they are.
  EXPECT_LT(hops[1].id, hops[0].id);
  EXPECT_LT(hops[0].id, innermost_id);
  // Then the creation chain: the innermost coroutine's own PROMISE, created
  // by the middle one's call (whose caller, synchronously, was the outer).
  EXPECT_EQ(hops[2].what, async_hop::kind::created);
  EXPECT_EQ(hops[2].type, "PROMISE");
  EXPECT_EQ(hops[2].id, innermost_id);
  EXPECT_TRUE(mentions(hops[2].frames, "middle_coroutine"));
  EXPECT_TRUE(mentions(hops[2].frames, "outer_coroutine"));
  const std::string text = to_string(seen);
  EXPECT_THAT(text, HasSubstr("-- awaited by PROMISE " + std::to_string(outer.id()) + " at:\n"));
  seen = {};
}

TEST_F(Coroutines, NoAwaitersAtTheTopOfAChain) {
  const promise<int> inner = innermost_coroutine();  // awaited by nobody
  loop().run();
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_FALSE(hops.empty());
  EXPECT_EQ(hops[0].what, async_hop::kind::created);
  EXPECT_EQ(hops[0].id, inner.id());
  seen = {};
}

// --- an exception thrown three co_awaits deep --------------------------------

TETHER_NOINLINE void fail_deep_inside() { throw std::runtime_error("deep failure"); }

promise<int> failing_innermost() {
  co_await delay(1ms);
  fail_deep_inside();
  co_return 0;
}

promise<int> failing_middle() { co_return co_await failing_innermost(); }

promise<int> failing_outer() { co_return co_await failing_middle(); }

TEST_F(Coroutines, ExceptionThreeAwaitsDeepCarriesAllThreeCallers) {
  skip_record_check();  // the exceptions keep their traces
  const promise<int> outer = failing_outer();
  std::exception_ptr reported;
  std::exception_ptr reason;
  try {
    loop().run();
  } catch (const unhandled_rejection& e) {
    reported = std::current_exception();
    reason = e.reason();
    EXPECT_THAT(e.what(), HasSubstr("deep failure"));
  }
  ASSERT_TRUE(reported);
  const async_trace trace = async_trace_of(reason);
  ASSERT_FALSE(trace.empty());
  const std::vector<async_hop> hops = trace.hops();
  ASSERT_GE(hops.size(), 3u) << to_string(trace);
  EXPECT_TRUE(mentions(hops[0].frames, "failing_middle")) << to_string(trace);
  EXPECT_TRUE(mentions(hops[1].frames, "failing_outer")) << to_string(trace);
  EXPECT_EQ(hops[1].id, outer.id());
  EXPECT_EQ(hops[2].type, "PROMISE");
  EXPECT_TRUE(mentions(hops[2].frames, "failing_middle"));
  // Where it left the innermost coroutine's body.
  EXPECT_TRUE(mentions(trace.frames(), "failing_innermost")) << to_string(trace);
  // The report (unhandled_rejection) carries its reason's trace.
  EXPECT_EQ(to_string(async_trace_of(reported)), to_string(trace));
}

}  // namespace
}  // namespace tether::test
