// Timers: a steady_timer that fires, one cancelled by another handler, one
// destroyed with its wait pending, and the clock in the type name.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
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
using tether::test::asio_events;
using tether::test::hook_recorder;

struct timer_test : ::testing::Test {
  hook_recorder rec;
  net::io_context io;
  async_id top = execution_async_id();
  asio_events ev{rec, {.top = top}};

  void SetUp() override { rec.enable(); }
};

TEST_F(timer_test, AFiredSteadyTimerIsOneResource) {
  net::steady_timer timer(io, std::chrono::milliseconds(1));
  net_error_code result = net::error::operation_aborted;
  async_id inside = 0;
  timer.async_wait([&](net_error_code ec) {
    result = ec;
    inside = execution_async_id();
  });
  io.run();
  EXPECT_FALSE(result);
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
}

TEST_F(timer_test, ACancelledTimerRunsItsHandlerWithOperationAborted) {
  net::steady_timer timer(io, std::chrono::hours(1));
  std::optional<net_error_code> result;
  timer.async_wait([&](net_error_code ec) { result = ec; });
  net::post(io, [&] { timer.cancel(); });
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, net::error::operation_aborted);
  // The cancel is not a resource; the wait completes as one, after it.
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.steady_timer A trigger top", "init asio.post B trigger top",
                          "before B", "after B", "destroy B", "before A", "after A",
                          "destroy A"));
}

TEST_F(timer_test, ATimerDestroyedWithItsWaitPendingIsCancelledThenDestroyed) {
  std::optional<net_error_code> result;
  {
    net::steady_timer timer(io, std::chrono::hours(1));
    timer.async_wait([&](net_error_code ec) { result = ec; });
  }
  io.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, net::error::operation_aborted);
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "destroy A"));
}

TEST_F(timer_test, TheClockNamesTheType) {
  net::system_timer system(io, std::chrono::milliseconds(0));
  system.async_wait([](net_error_code) {});
  net::steady_timer steady(io, std::chrono::milliseconds(0));
  steady.async_wait([](net_error_code) {});
  io.run();
  EXPECT_EQ(rec.activities_of_type("asio.system_timer").size(), 1u);
  EXPECT_EQ(rec.activities_of_type("asio.steady_timer").size(), 1u);
}

TEST_F(timer_test, ARearmedTimerIsANewResourceEachTime) {
  net::steady_timer timer(io);
  int fired = 0;
  std::function<void(net_error_code)> again = [&](net_error_code) {
    if (++fired < 3) {
      timer.expires_after(std::chrono::milliseconds(0));
      timer.async_wait(again);
    }
  };
  timer.expires_after(std::chrono::milliseconds(0));
  timer.async_wait(again);
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.steady_timer A trigger top", "before A",
                          "init asio.steady_timer B trigger A", "after A", "destroy A",
                          "before B", "init asio.steady_timer C trigger B", "after B",
                          "destroy B", "before C", "after C", "destroy C"));
}

TEST_F(timer_test, TheWaitSeesTheContextOfTheCallerOfAsyncWait) {
  tether::async_local_storage<int> als;
  net::steady_timer timer(io, std::chrono::milliseconds(1));
  int seen = 0;
  als.run(42, [&] { timer.async_wait([&](net_error_code) { seen = *als.get_store(); }); });
  io.run();
  EXPECT_EQ(seen, 42);
}

}  // namespace
