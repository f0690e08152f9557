// Where people see traces: exceptions leaving callbacks (run() rethrows them,
// on_uncaught_exception sees them) carry the trace of the moment they left;
// with_async_trace()/async_trace_of() for user code; the terminate report of
// an exception nobody caught; the fatal-signal handler.
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class Exceptions : public trace_fixture {
 protected:
  void SetUp() override {
    trace_fixture::SetUp();
    skip_record_check();  // exceptions keep their traces (and records) alive
  }
};

TETHER_NOINLINE void throw_from_timer() { throw std::runtime_error("timer failed"); }
TETHER_NOINLINE async_id arm_throwing_timer() {
  return set_timeout([] { throw_from_timer(); }, 1ms).id();
}

TEST_F(Exceptions, ExceptionRethrownByRunCarriesItsCallbacksTrace) {
  const async_id timer = arm_throwing_timer();
  std::exception_ptr e;
  try {
    loop().run();
  } catch (const std::runtime_error&) {
    e = std::current_exception();
  }
  ASSERT_TRUE(e);
  const async_trace trace = async_trace_of(e);
  ASSERT_FALSE(trace.empty());
  const std::vector<async_hop> hops = trace.hops();
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].type, "Timeout");
  EXPECT_EQ(hops[0].id, timer);
  EXPECT_TRUE(mentions(hops[0].frames, "arm_throwing_timer"));
}

TEST_F(Exceptions, UncaughtExceptionHandlerSeesTheTrace) {
  const async_id timer = arm_throwing_timer();
  async_trace seen;
  loop().on_uncaught_exception([&](std::exception_ptr e) { seen = async_trace_of(e); });
  loop().run();
  ASSERT_FALSE(seen.empty());
  EXPECT_THAT(hop_labels(seen), ::testing::ElementsAre(label("Timeout", timer)));
}

TETHER_NOINLINE std::exception_ptr catch_and_attach() {
  try {
    throw std::logic_error("bad input");
  } catch (...) {
    return with_async_trace(std::current_exception());
  }
}

TEST_F(Exceptions, WithAsyncTraceAttachesTheCurrentTraceToTheSameException) {
  std::exception_ptr e;
  async_id resource_id = 0;
  async_resource r("Request");
  resource_id = r.id();
  r.run_in_async_scope([&] { e = catch_and_attach(); });
  const async_trace trace = async_trace_of(e);
  ASSERT_FALSE(trace.empty());
  EXPECT_TRUE(mentions(trace.frames(), "catch_and_attach"));
  EXPECT_THAT(hop_labels(trace), ::testing::ElementsAre(label("Request", resource_id)));
  // The same object: a catch clause for the original type still matches.
  try {
    std::rethrow_exception(e);
  } catch (const std::logic_error& x) {
    EXPECT_STREQ(x.what(), "bad input");
  }
  // A second call keeps the first trace.
  const std::exception_ptr again = with_async_trace(e);
  EXPECT_EQ(again, e);
  EXPECT_EQ(to_string(async_trace_of(again)), to_string(trace));
}

TEST_F(Exceptions, NoTraceForExceptionsNeverGivenOne) {
  const std::exception_ptr e = std::make_exception_ptr(std::runtime_error("plain"));
  EXPECT_TRUE(async_trace_of(e).empty());
  EXPECT_TRUE(async_trace_of(nullptr).empty());
  EXPECT_EQ(with_async_trace(nullptr), nullptr);
}

TEST_F(Exceptions, OnlyTheLastFewHundredExceptionsKeepTheirTraces) {
  const std::exception_ptr first = with_async_trace(std::make_exception_ptr(std::runtime_error("1")));
  ASSERT_FALSE(async_trace_of(first).empty());
  for (int i = 0; i < 300; ++i) {
    (void)with_async_trace(std::make_exception_ptr(std::runtime_error("more")));
  }
  EXPECT_TRUE(async_trace_of(first).empty()) << "the table is bounded";
}

TETHER_NOINLINE int failing_work() { throw std::runtime_error("work failed"); }
TETHER_NOINLINE void queue_failing_work(std::exception_ptr& out) {
  queue_work([] { return failing_work(); }, [&out](std::exception_ptr e, int) { out = e; });
}

TEST_F(Exceptions, ExceptionFromThreadPoolWorkCarriesTheJobsTrace) {
  std::exception_ptr error;
  queue_failing_work(error);
  loop().run();
  ASSERT_TRUE(error);
  const async_trace trace = async_trace_of(error);
  ASSERT_FALSE(trace.empty());
  const std::vector<async_hop> hops = trace.hops();
  ASSERT_FALSE(hops.empty());
  EXPECT_EQ(hops[0].type, "QUEUEWORK");
  EXPECT_TRUE(mentions(hops[0].frames, "queue_failing_work")) << to_string(trace);
}

// --- the terminate report ---------------------------------------------------------

TETHER_NOINLINE void run_and_let_escape() noexcept {
  set_stack_trace_options({});
  event_loop loop;
  arm_throwing_timer();
  loop.run();  // rethrows; noexcept: std::terminate with the exception current
}

TEST(TerminateDeathTest, UncaughtExceptionIsPrintedWithItsAsyncTrace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(run_and_let_escape(),
               "tether: uncaught exception: std::runtime_error: timer failed\n"
               ".*-- Timeout [0-9]+ created at:\n"
               "    at .*arm_throwing_timer.*exceptions_test.cpp:[0-9]+");
}

// --- the fatal-signal handler -----------------------------------------------------

// Not UBSan's to catch (the asan preset halts on its report): the fault
// must reach the signal handler under test.
TETHER_NOINLINE __attribute__((no_sanitize("undefined"))) void crash_in_timer() {
  volatile int* volatile nowhere = nullptr;
  *nowhere = 42;
}
TETHER_NOINLINE void arm_crashing_timer() {
  set_timeout([] { crash_in_timer(); }, 1ms);
}
TETHER_NOINLINE void run_crashing_loop() {
  set_stack_trace_options({});
  install_fatal_signal_handler();
  event_loop loop;
  arm_crashing_timer();
  loop.run();
}

TEST(FatalSignalDeathTest, SegfaultPrintsRawThenSymbolizedAsyncChain) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(run_crashing_loop(), ::testing::KilledBySignal(SIGSEGV),
              "tether: fatal signal SIGSEGV \\(11\\), fault address 0x0\n"
              "tether: raw stack \\(addr2line -Cfie <module> <offset>\\):\n"
              "    #0 0x[0-9a-f]+ .*tether_stack_trace_tests\\+0x[0-9a-f]+\n"
              ".*-- Timeout [0-9]+ created at:\n"
              "    #0 0x[0-9a-f]+ .*\n"
              ".*tether: symbolized:\n"
              "    at .*crash_in_timer.*exceptions_test.cpp:[0-9]+\\)\n"
              ".*-- Timeout [0-9]+ created at:\n"
              "    at .*arm_crashing_timer");
}

TETHER_NOINLINE void abort_in_immediate() { std::abort(); }
TETHER_NOINLINE void arm_aborting_immediate() {
  set_immediate([] { abort_in_immediate(); });
}
TETHER_NOINLINE void run_aborting_loop() {
  set_stack_trace_options({});
  install_fatal_signal_handler();
  event_loop loop;
  arm_aborting_immediate();
  loop.run();
}

TEST(FatalSignalDeathTest, AbortPrintsTheAsyncChainAndStillDiesOfSigabrt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(run_aborting_loop(), ::testing::KilledBySignal(SIGABRT),
              "tether: fatal signal SIGABRT \\(6\\)\n"
              ".*tether: symbolized:\n"
              ".*-- Immediate [0-9]+ created at:\n"
              "    at .*arm_aborting_immediate");
}

}  // namespace
}  // namespace tether::test
