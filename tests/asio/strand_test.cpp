// Strands: each handler posted to a strand is one resource (the strand's
// invoker is plumbing and never shows), and a handler that runs on a strand
// because of its executor (a timer or socket made on a strand,
// bind_executor) stays the one resource of its operation.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
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

struct strand_test : ::testing::Test {
  hook_recorder rec;
  net::io_context io;
  async_id top = execution_async_id();
  asio_events ev{rec, {.top = top}};

  void SetUp() override { rec.enable(); }
};

TEST_F(strand_test, EachHandlerPostedToAStrandIsOneResourceAndTheInvokerNone) {
  auto strand = net::make_strand(io);
  std::vector<async_id> ran_in;
  net::post(strand, [&] { ran_in.push_back(execution_async_id()); });
  net::post(strand, [&] { ran_in.push_back(execution_async_id()); });
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.strand.post A trigger top",
                          "init asio.strand.post B trigger top", "before A", "after A",
                          "destroy A", "before B", "after B", "destroy B"));
  ASSERT_EQ(ran_in.size(), 2u);
  EXPECT_EQ(ev.name(ran_in[0]), "A");
  EXPECT_EQ(ev.name(ran_in[1]), "B");
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(strand_test, HandlersPostedFromAStrandHandlerAreTriggeredByIt) {
  auto strand = net::make_strand(io);
  net::post(strand, [&] { net::post(strand, [] {}); });
  io.run();
  // The invoker reschedules itself for B: still no resource of its own.
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.strand.post A trigger top", "before A",
                          "init asio.strand.post B trigger A", "after A", "destroy A",
                          "before B", "after B", "destroy B"));
}

TEST_F(strand_test, ATimerOnAStrandIsOneResourceThoughItsHandlerIsHandedToTheStrand) {
  net::steady_timer timer(net::make_strand(io), std::chrono::milliseconds(0));
  async_id inside = 0;
  timer.async_wait([&](net_error_code) { inside = execution_async_id(); });
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
}

TEST_F(strand_test, BindExecutorToAStrandKeepsOneResource) {
  auto strand = net::make_strand(io);
  net::steady_timer timer(io, std::chrono::milliseconds(0));
  async_id inside = 0;
  timer.async_wait(net::bind_executor(strand, [&](net_error_code) {
    inside = execution_async_id();
  }));
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
}

TEST_F(strand_test, PostOfAStrandBoundHandlerKeepsOneResource) {
  auto strand = net::make_strand(io);
  async_id inside = 0;
  net::post(io, net::bind_executor(strand, [&] { inside = execution_async_id(); }));
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A", "after A",
                                     "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
}

TEST_F(strand_test, AHandOffThatMustQueueRunsLaterAsTheSameResource) {
  // The timer completes on `other`, its handler belongs to a strand of `io`:
  // the hand-off cannot run at once, so the timer's resource has two
  // callbacks, the hand-off on `other` and the handler on `io`, then one
  // destroy after the last.
  net::io_context other;
  auto strand = net::make_strand(io);
  net::steady_timer timer(other, std::chrono::milliseconds(0));
  async_id inside = 0;
  timer.async_wait(net::bind_executor(strand, [&](net_error_code) {
    inside = execution_async_id();
  }));
  other.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A"));
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "before A", "after A", "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(strand_test, AHandOffDestroyedUnrunStillDestroysOnce) {
  // As above, but `io` ends without running the handed-off handler.
  auto io2 = std::make_unique<net::io_context>();
  net::io_context other;
  net::steady_timer timer(other, std::chrono::milliseconds(0));
  timer.async_wait(net::bind_executor(net::make_strand(*io2), [](net_error_code) {}));
  other.run();
  io2.reset();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.steady_timer A trigger top", "before A",
                                     "after A", "destroy A"));
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(strand_test, APostThroughAStrandsAnyIoExecutorIsNotMistakenForAHandOff) {
  // The first thing a plain handler does is post through a type-erased
  // executor: a new resource, triggered by the handler.
  net::any_io_executor strand = net::make_strand(io);
  net::post(io, [&] { net::post(strand, [] {}); });
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "before A",
                          "init asio.strand.post B trigger A", "after A", "destroy A",
                          "before B", "after B", "destroy B"));
}

TEST_F(strand_test, ContextFollowsEachStrandHandlersPoster) {
  auto strand = net::make_strand(io);
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  for (int i = 1; i <= 3; ++i) {
    als.run(i, [&] { net::post(strand, [&] { seen.push_back(*als.get_store()); }); });
  }
  io.run();
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));
}

}  // namespace
