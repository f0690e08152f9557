// tether::stack_trace on an Asio program, unchanged: a trace taken in a
// handler shows, hop by hop, the user code that posted it, armed the timer
// or spawned the coroutine; hand-offs to a strand and coroutine slices
// (which run on copies of a resource's identity) show the same chain, and
// every record is released when its resources end.
#include "../asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/stack_trace.hpp>

#define TETHER_NOINLINE [[gnu::noinline]]

namespace {

using tether::async_hop;
using tether::async_id;
using tether::async_trace;

bool mentions(const std::vector<tether::stack_frame>& frames, std::string_view name) {
  for (const tether::stack_frame& f : frames) {
    if (f.function.find(name) != std::string::npos) {
      return true;
    }
  }
  return false;
}

async_trace seen;       // the trace a handler took
async_id seen_id = 0;   // execution_async_id() where it was taken
async_id posted_id = 0;  // the resource the first user function created

TETHER_NOINLINE void take_trace_now() {
  seen = tether::async_stack_trace();
  seen_id = tether::execution_async_id();
}

struct asio_stack_trace : ::testing::Test {
  void SetUp() override {
    // Asio's initiations are deep: keep enough frames to reach the test's own.
    tether::set_stack_trace_options({.frames = 64});
    records_before = tether::get_stack_trace_stats().live_records;
  }
  void TearDown() override {
    seen = {};
    tether::set_stack_trace_options({.enabled = false});
    EXPECT_EQ(tether::get_stack_trace_stats().live_records, records_before)
        << "records outlived their resources";
  }
  std::uint64_t records_before = 0;
};

TETHER_NOINLINE void arm_timer_in_handler(net::steady_timer& timer) {
  timer.expires_after(std::chrono::milliseconds(1));
  timer.async_wait([](net_error_code) { take_trace_now(); });
}

TETHER_NOINLINE void post_from_user_code(net::io_context& io, net::steady_timer& timer) {
  net::post(io, [&timer] {
    posted_id = tether::execution_async_id();
    arm_timer_in_handler(timer);
  });
}

TEST_F(asio_stack_trace, ATraceInATimerHandlerShowsTheTimerAndThePostThatArmedIt) {
  net::io_context io;
  net::steady_timer timer(io);
  post_from_user_code(io, timer);
  io.run();
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(mentions(seen.frames(), "take_trace_now"));
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 2u) << tether::to_string(seen);
  EXPECT_EQ(hops[0].type, "asio.steady_timer");
  EXPECT_EQ(hops[0].id, seen_id);
  EXPECT_TRUE(hops[0].recorded);
  EXPECT_TRUE(mentions(hops[0].frames, "arm_timer_in_handler")) << tether::to_string(seen);
  EXPECT_EQ(hops[1].type, "asio.post");
  EXPECT_EQ(hops[1].id, posted_id);
  EXPECT_TRUE(mentions(hops[1].frames, "post_from_user_code")) << tether::to_string(seen);
  EXPECT_THAT(tether::to_string(seen),
              ::testing::HasSubstr("-- asio.post " + std::to_string(posted_id) + " created at:"));
}

TETHER_NOINLINE void arm_strand_timer(net::steady_timer& timer,
                                      net::strand<net::io_context::executor_type>& strand) {
  timer.expires_after(std::chrono::milliseconds(1));
  timer.async_wait(net::bind_executor(strand, [](net_error_code) { take_trace_now(); }));
}

TEST_F(asio_stack_trace, AHandlerHandedOffToAStrandKeepsItsChain) {
  // The timer completes on `other`, its handler belongs to a strand of
  // `io`: the hand-off queues, and a second operation runs the handler on a
  // copy of the timer's identity (strand_test.cpp has the events).
  net::io_context io;
  net::io_context other;
  auto strand = net::make_strand(io);
  net::steady_timer timer(other);
  arm_strand_timer(timer, strand);
  other.run();
  io.run();
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 1u) << tether::to_string(seen);
  EXPECT_EQ(hops[0].type, "asio.steady_timer");
  EXPECT_EQ(hops[0].id, seen_id);
  EXPECT_TRUE(hops[0].recorded);
  EXPECT_TRUE(mentions(hops[0].frames, "arm_strand_timer")) << tether::to_string(seen);
}

net::awaitable<void> wait_then_trace() {
  net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(1));
  co_await timer.async_wait(net::use_awaitable);
  take_trace_now();
}

net::awaitable<void> trace_in_nested_awaitable() {
  co_await wait_then_trace();
}

TETHER_NOINLINE void spawn_from_user_code(net::io_context& io) {
  net::co_spawn(io, trace_in_nested_awaitable(), net::detached);
}

TEST_F(asio_stack_trace, ATraceInACoroutineAfterACoAwaitShowsWhereItWasSpawned) {
  net::io_context io;
  net::post(io, [&io] {
    posted_id = tether::execution_async_id();
    spawn_from_user_code(io);
  });
  io.run();
  ASSERT_FALSE(seen.empty());
  const std::vector<async_hop> hops = seen.hops();
  // The coroutine's slice runs as the coroutine (on a copy of its identity,
  // holding its own reference to the coroutine's record): created where
  // co_spawn was called, inside the posted handler.
  ASSERT_EQ(hops.size(), 2u) << tether::to_string(seen);
  EXPECT_EQ(hops[0].type, "asio.co_spawn");
  EXPECT_EQ(hops[0].id, seen_id);
  EXPECT_TRUE(hops[0].recorded);
  EXPECT_TRUE(mentions(hops[0].frames, "spawn_from_user_code")) << tether::to_string(seen);
  EXPECT_EQ(hops[1].type, "asio.post");
  EXPECT_EQ(hops[1].id, posted_id);
}

TEST_F(asio_stack_trace, IoContextDestroyedWithPendingWorkReleasesEveryRecord) {
  {
    net::io_context io;
    net::steady_timer timer(io, std::chrono::hours(1));
    timer.async_wait([](net_error_code) {});
    net::co_spawn(io, wait_then_trace(), net::detached);
    auto strand = net::make_strand(io);
    net::post(strand, [] {});
    net::post(strand, [] {});
    io.run_one();
  }
  // TearDown: live_records is back where it was.
}

}  // namespace
