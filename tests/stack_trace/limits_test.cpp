// Bounds: the hop and frame limits, chains whose first hops were destroyed
// long ago, a million-hop chain (records stay bounded), a million live
// resources (memory back to baseline after), sampling, capture off, and the
// options' validation.
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/error.hpp>
#include <tether/timers.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

async_trace seen;

TETHER_NOINLINE void take_trace_at_end() { seen = async_stack_trace(); }

// --- hop limit -----------------------------------------------------------------

class FiveHops : public trace_fixture {
  stack_trace_options options() const override {
    stack_trace_options o;
    o.hops = 5;
    return o;
  }
};

int remaining = 0;
TETHER_NOINLINE void next_immediate_in_chain() {
  if (--remaining == 0) {
    take_trace_at_end();
    return;
  }
  set_immediate([] { next_immediate_in_chain(); });
}

TEST_F(FiveHops, ChainLongerThanTheLimitPrintsTheLimitAndSaysSo) {
  remaining = 20;
  set_immediate([] { next_immediate_in_chain(); });
  loop().run();
  const std::vector<async_hop> hops = seen.hops();
  EXPECT_EQ(hops.size(), 5u);
  for (const async_hop& h : hops) {
    EXPECT_EQ(h.type, "Immediate");
    EXPECT_TRUE(h.recorded);
  }
  EXPECT_TRUE(seen.truncated());
  EXPECT_THAT(to_string(seen), HasSubstr("-- older hops not kept (hop limit 5)\n"));
  seen = {};
}

TEST_F(FiveHops, ChainShorterThanTheLimitIsComplete) {
  remaining = 3;
  set_immediate([] { next_immediate_in_chain(); });
  loop().run();
  EXPECT_EQ(seen.hops().size(), 3u);
  EXPECT_FALSE(seen.truncated());
  EXPECT_THAT(to_string(seen), Not(HasSubstr("older hops")));
  seen = {};
}

// A long chain keeps at most 2 x hops records alive at any time, however many
// hops it has had: 1,000,000 immediates, each created in the one before.
std::uint64_t most_live_records = 0;
TETHER_NOINLINE void million_chain_step() {
  if (--remaining % 1000 == 0) {
    most_live_records = std::max(most_live_records, get_stack_trace_stats().live_records);
  }
  if (remaining == 0) {
    take_trace_at_end();
    return;
  }
  set_immediate([] { million_chain_step(); });
}

TEST_F(FiveHops, MillionHopChainKeepsRecordsBounded) {
  const std::uint64_t before = get_stack_trace_stats().live_records;
  remaining = 1'000'000;
  most_live_records = 0;
  set_immediate([] { million_chain_step(); });
  loop().run();
  EXPECT_LE(most_live_records, before + 2 * 5 + 2);
  // And the end of the chain still prints its last five hops, in order.
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 5u);
  for (std::size_t i = 1; i < hops.size(); ++i) {
    EXPECT_LT(hops[i].id, hops[i - 1].id);
  }
  EXPECT_TRUE(seen.truncated());
  seen = {};
}

// --- frames per stack -------------------------------------------------------------

class FourFrames : public trace_fixture {
  stack_trace_options options() const override {
    stack_trace_options o;
    o.frames = 4;
    o.show_internal_frames = true;
    return o;
  }
};

TETHER_NOINLINE int recurse_then_trace(int n) {
  if (n == 0) {
    take_trace_at_end();
    return 0;
  }
  return 1 + recurse_then_trace(n - 1);
}

TEST_F(FourFrames, StacksAreCutAtTheFrameLimit) {
  (void)recurse_then_trace(10);
  // Four return addresses: into take_trace_at_end, then three recursions.
  std::vector<std::string> outermost;
  for (const stack_frame& f : seen.frames()) {
    if (!f.inlined) {
      outermost.push_back(f.function);
    }
  }
  ASSERT_EQ(outermost.size(), 4u) << to_string(seen);
  EXPECT_THAT(outermost[0], HasSubstr("take_trace_at_end"));
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_THAT(outermost[i], HasSubstr("recurse_then_trace"));
  }
  seen = {};
}

// --- a hop destroyed long ago -------------------------------------------------------

class Limits : public trace_fixture {};

async_id first_timeout = 0;
TETHER_NOINLINE void second_timer_callback() { take_trace_at_end(); }
TETHER_NOINLINE void arm_second_timer() {
  set_timeout([] { second_timer_callback(); }, 30ms);
}
TETHER_NOINLINE void arm_first_timer() {
  first_timeout = set_timeout([] { arm_second_timer(); }, 1ms).id();
}

TEST_F(Limits, HopWhoseResourceWasDestroyedLongAgoIsStillPrinted) {
  arm_first_timer();
  // A third timer in between shows the first one's destroy happened before
  // the second one fires.
  bool first_destroyed_in_between = false;
  auto hook = create_hook({.destroy = [&](async_id id) {
    if (id == first_timeout) {
      first_destroyed_in_between = true;
    }
  }});
  hook.enable();
  loop().run();
  hook.disable();
  EXPECT_TRUE(first_destroyed_in_between);
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_TRUE(mentions(hops[0].frames, "arm_second_timer"));
  EXPECT_EQ(hops[1].id, first_timeout);
  EXPECT_TRUE(mentions(hops[1].frames, "arm_first_timer"));
  seen = {};
}

// --- a million live resources, then none ------------------------------------------

TETHER_NOINLINE std::unique_ptr<async_resource> make_job() {
  return std::make_unique<async_resource>("Job");
}
TETHER_NOINLINE std::unique_ptr<async_resource> make_other_job() {
  return std::make_unique<async_resource>("OtherJob");
}

TEST_F(Limits, MillionResourcesAndMemoryReturnsToBaseline) {
  const stack_trace_stats before = get_stack_trace_stats();
  const std::size_t heap_before = ::mallinfo2().uordblks;
  constexpr std::size_t count = 1'000'000;
  {
    std::vector<std::unique_ptr<async_resource>> jobs;
    jobs.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      jobs.push_back(i % 2 == 0 ? make_job() : make_other_job());
    }
    const stack_trace_stats during = get_stack_trace_stats();
    EXPECT_EQ(during.live_records - before.live_records, count);
    // Two call sites: a stack each, however many resources (and, where the
    // walk reaches gtest's code, built without frame pointers, the walk
    // itself too, whose libunwind redo is the stack kept).
    EXPECT_LE(during.live_stacks - before.live_stacks, 4u);
  }
  const stack_trace_stats after = get_stack_trace_stats();
  EXPECT_EQ(after.live_records, before.live_records);
  EXPECT_LE(after.live_stacks, before.live_stacks + 4);  // this thread's cache may keep them
  const std::size_t heap_after = ::mallinfo2().uordblks;
  EXPECT_LT(heap_after, heap_before + 1024 * 1024) << "heap grew by " << heap_after - heap_before;
}

TETHER_NOINLINE std::unique_ptr<async_resource> make_typed(std::string_view type) {
  return std::make_unique<async_resource>(type);
}

TEST_F(Limits, OneCallSiteTwoTypesKeepTheirOwnTypes) {
  // One stack, interned per (addresses, type): the hop says which.
  for (const std::string_view type : {"First", "Second", "First"}) {
    const std::unique_ptr<async_resource> r = make_typed(type);
    r->run_in_async_scope([] { take_trace_at_end(); });
    const std::vector<async_hop> hops = seen.hops();
    ASSERT_EQ(hops.size(), 1u);
    EXPECT_EQ(hops[0].type, type);
  }
  seen = {};
}

// --- sampling --------------------------------------------------------------------

class EveryFourth : public trace_fixture {
  stack_trace_options options() const override {
    stack_trace_options o;
    o.sample_every = 4;
    return o;
  }
};

TEST_F(EveryFourth, SampledOutResourcesKeepTheChainConnected) {
  const stack_trace_stats before = get_stack_trace_stats();
  remaining = 8;
  const timeout t = set_timeout([] {
    set_immediate([] { next_immediate_in_chain(); });
  });
  loop().run();
  const stack_trace_stats after = get_stack_trace_stats();
  const std::uint64_t inits = 1 + 8;  // the timeout and the immediates
  EXPECT_EQ(after.captures - before.captures + after.sampled_out - before.sampled_out, inits + 1)
      << "one more capture: the trace itself";
  EXPECT_GE(after.sampled_out - before.sampled_out, inits / 4 * 3 - 1);
  // The trace skips the sampled-out hops but still reaches back.
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_FALSE(hops.empty());
  EXPECT_LT(hops.size(), 9u);
  for (std::size_t i = 1; i < hops.size(); ++i) {
    EXPECT_LT(hops[i].id, hops[i - 1].id);
  }
  EXPECT_GE(hops.back().id, t.id());
  seen = {};
}

// --- capture off ------------------------------------------------------------------

TEST(CaptureOff, NoCaptureWorkAndTracesStillNameTheCurrentResource) {
  set_stack_trace_options({.enabled = false});
  event_loop loop;
  const stack_trace_stats before = get_stack_trace_stats();
  async_id timer = 0;
  timer = set_timeout([] { take_trace_at_end(); }).id();
  for (int i = 0; i < 1000; ++i) {
    async_resource r("Job");
  }
  loop.run();
  const stack_trace_stats after = get_stack_trace_stats();
  EXPECT_EQ(after.captures - before.captures, 1u) << "only the trace's own stack";
  EXPECT_EQ(after.live_records, before.live_records);
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].type, "Timeout");
  EXPECT_EQ(hops[0].id, timer);
  EXPECT_FALSE(hops[0].recorded);
  EXPECT_THAT(to_string(seen),
              HasSubstr("-- Timeout " + std::to_string(timer) + " (no stack recorded)\n"));
  seen = {};
}

TEST(CaptureOff, RecordsMadeWhileOnAreReleasedAfterTurningOff) {
  set_stack_trace_options({});
  const std::uint64_t before = get_stack_trace_stats().live_records;
  auto r = std::make_unique<async_resource>("Job");
  EXPECT_EQ(get_stack_trace_stats().live_records, before + 1);
  set_stack_trace_options({.enabled = false});
  r.reset();
  EXPECT_EQ(get_stack_trace_stats().live_records, before);
}

// --- options -----------------------------------------------------------------------

TEST(Options, OutOfRangeValuesNameTheField) {
  const stack_trace_options good = get_stack_trace_options();
  auto expect_rejected = [](stack_trace_options o, const std::string& field) {
    try {
      set_stack_trace_options(o);
      ADD_FAILURE() << field << " was accepted";
    } catch (const usage_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("stack_trace_options::" + field));
    }
  };
  expect_rejected({.frames = 0}, "frames");
  expect_rejected({.frames = 65}, "frames");
  expect_rejected({.hops = 65}, "hops");
  expect_rejected({.sample_every = 0}, "sample_every");
  const stack_trace_options now = get_stack_trace_options();
  EXPECT_EQ(now.frames, good.frames);
  EXPECT_EQ(now.hops, good.hops);
}

TEST(Options, ReadBackAsSet) {
  stack_trace_options o;
  o.frames = 32;
  o.hops = 3;
  o.sample_every = 7;
  o.walk = stack_walk::libunwind;
  o.show_internal_frames = true;
  set_stack_trace_options(o);
  const stack_trace_options got = get_stack_trace_options();
  EXPECT_TRUE(got.enabled);
  EXPECT_EQ(got.frames, 32u);
  EXPECT_EQ(got.hops, 3u);
  EXPECT_EQ(got.sample_every, 7u);
  EXPECT_EQ(got.walk, stack_walk::libunwind);
  EXPECT_TRUE(got.show_internal_frames);
  set_stack_trace_options({.enabled = false});
}

}  // namespace
}  // namespace tether::test
