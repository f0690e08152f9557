// tether::stack_trace on the hot path, counted. Capture turned off again
// makes init and destroy allocate nothing and walk no stack (the observer
// keeps only its destroy callback, for the records made while it was on).
// Capture on, from a call site seen before, costs exactly one allocation per
// init (the resource's record; the stack is interned) and frees it at destroy.

#include <gtest/gtest.h>

#include <cstdint>

#include <tether/detail/hook_dispatch.hpp>
#include <tether/integration.hpp>
#include <tether/stack_trace.hpp>

#include "counting_allocator.hpp"

namespace {

using tether::test::allocation_delta;
using tether::test::count_allocations;

struct op : tether::resource {};

/// One resource's life from one call site (so repeated calls intern the same
/// stack): init, a callback scope, destroy.
[[gnu::noinline]] allocation_delta one_life_counted() {
  op o;
  return count_allocations([&] {
    tether::emit_init(o, "Job");
    { tether::callback_scope scope(o); }
    tether::emit_destroy(o);
  });
}

TEST(StackTraceAllocations, CaptureTurnedOffAllocatesNothingAndWalksNothing) {
  tether::set_stack_trace_options({});
  (void)one_life_counted();
  tether::set_stack_trace_options({.enabled = false});
  const std::uint64_t captures = tether::get_stack_trace_stats().captures;
  const allocation_delta d = one_life_counted();
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
  EXPECT_EQ(tether::get_stack_trace_stats().captures, captures);
  // Only the destroy event still reaches the observer.
  EXPECT_EQ(tether::detail::active_hook_events.load(),
            1u << static_cast<unsigned>(tether::detail::hook_event::destroy));
}

TEST(StackTraceAllocations, CaptureOnAHotCallSiteAllocatesOneRecordPerInit) {
  tether::set_stack_trace_options({});
  allocation_delta d;
  for (int i = 0; i < 3; ++i) {  // the first interns the stack and fills the caches
    d = one_life_counted();
  }
  tether::set_stack_trace_options({.enabled = false});
  EXPECT_EQ(d.allocations, 1u);
  EXPECT_EQ(d.deallocations, 1u);
}

}  // namespace
