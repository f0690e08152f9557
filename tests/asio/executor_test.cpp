// Handlers queued on an io_context: post, dispatch, defer (the free functions
// and the executor members), nesting, a handler that throws, an io_context
// destroyed with handlers still queued, and context flowing through them.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

#include "asio_events.hpp"
#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using tether::async_id;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::test::asio_events;
using tether::test::hook_recorder;
using tether::test::invocation_counts;

struct executor_test : ::testing::Test {
  hook_recorder rec;
  net::io_context io;
  async_id top = execution_async_id();
  asio_events ev{rec, {.top = top}};

  void SetUp() override { rec.enable(); }
};

TEST_F(executor_test, PostFromTheTopLevelIsOneResourceTriggeredByIt) {
  async_id inside = 0;
  async_id inside_trigger = 0;
  net::post(io, [&] {
    inside = execution_async_id();
    inside_trigger = trigger_async_id();
  });
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A", "after A",
                                     "destroy A"));
  EXPECT_EQ(ev.name(inside), "A");
  EXPECT_EQ(inside_trigger, top);
  EXPECT_EQ(execution_async_id(), top);  // restored after the handler
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(executor_test, PostInsideAHandlerIsTriggeredByThatHandler) {
  net::post(io, [&] { net::post(io, [] {}); });
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "before A", "init asio.post B trigger A",
                          "after A", "destroy A", "before B", "after B", "destroy B"));
}

TEST_F(executor_test, DispatchInsideAHandlerRunsInlineInThatHandlersResource) {
  async_id outer = 0;
  async_id inner = 0;
  net::post(io, [&] {
    outer = execution_async_id();
    net::dispatch(io, [&] { inner = execution_async_id(); });
  });
  io.run();
  EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A", "after A",
                                     "destroy A"));
  EXPECT_EQ(inner, outer);
}

TEST_F(executor_test, DispatchFromOutsideTheContextQueuesLikePost) {
  net::dispatch(io, [] {});
  io.run();
  // Asio's tracking sees one execute() for post, defer and a dispatch that
  // cannot run inline (docs/asio.md, "Limits").
  EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A", "after A",
                                     "destroy A"));
}

TEST_F(executor_test, DeferInsideAHandlerQueuesAContinuation) {
  std::vector<std::string> order;
  net::post(io, [&] {
    net::defer(io, [&] { order.push_back("deferred"); });
    order.push_back("outer");
  });
  io.run();
  EXPECT_THAT(order, ElementsAre("outer", "deferred"));
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "before A", "init asio.post B trigger A",
                          "after A", "destroy A", "before B", "after B", "destroy B"));
}

TEST_F(executor_test, ExecutorMembersAreNamedAfterTheirOperation) {
  auto ex = io.get_executor();
  std::allocator<void> alloc;
  ex.post([] {}, alloc);
  ex.defer([] {}, alloc);
  ex.dispatch([] {}, alloc);  // not inside the context: queued
  io.run();
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "init asio.defer B trigger top",
                          "init asio.dispatch C trigger top", "before A", "after A", "destroy A",
                          "before B", "after B", "destroy B", "before C", "after C", "destroy C"));
}

TEST_F(executor_test, AHandlerThatThrowsStillGetsItsAfterAndDestroy) {
  net::post(io, [] { throw std::runtime_error("boom"); });
  net::post(io, [] {});
  EXPECT_THROW(io.run(), std::runtime_error);
  EXPECT_EQ(execution_async_id(), top);  // the scope unwound
  io.run();  // the second handler still runs
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "init asio.post B trigger top",
                          "before A", "after A", "destroy A", "before B", "after B", "destroy B"));
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(executor_test, IoContextDestroyedWithQueuedHandlersDestroysEachOnce) {
  {
    net::io_context doomed;
    net::post(doomed, [] {});
    net::post(doomed, [] {});
    net::steady_timer timer(doomed, std::chrono::hours(1));
    timer.async_wait([](net_error_code) {});
    // Run one handler, leave the rest: the context ends with work queued.
    doomed.run_one();
  }
  EXPECT_THAT(ev.list(),
              ElementsAre("init asio.post A trigger top", "init asio.post B trigger top",
                          "init asio.steady_timer C trigger top", "before A", "after A",
                          "destroy A", "destroy B", "destroy C"));
  for (const auto& a : rec.activities()) {
    EXPECT_EQ(a.calls.init, 1) << a.type;
    EXPECT_EQ(a.calls.destroy, 1) << a.type;
  }
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST_F(executor_test, ContextFlowsFromThePosterNotFromWhereverTheHandlerRuns) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  auto record = [&] {
    const int* v = als.get_store();
    seen.push_back(v != nullptr ? *v : -1);
  };
  als.run(1, [&] {
    net::post(io, [&] {
      record();
      als.run(2, [&] { net::post(io, record); });  // a nested context
      net::post(io, record);                        // back to 1
    });
  });
  net::post(io, record);  // no store
  io.run();
  EXPECT_THAT(seen, ElementsAre(1, -1, 2, 1));
}

TEST_F(executor_test, EnterWithInsideAHandlerEndsWithIt) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  net::post(io, [&] {
    als.enter_with(5);
    net::post(io, [&] { seen.push_back(*als.get_store()); });
  });
  net::post(io, [&] { seen.push_back(als.get_store() != nullptr ? *als.get_store() : -1); });
  io.run();
  EXPECT_THAT(seen, ElementsAre(-1, 5));
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(executor_test, ExecutionAsyncResourceIsTheHandlersResource) {
  std::string type;
  async_id id = 0;
  net::post(io, [&] {
    type = std::string(tether::execution_async_resource().type());
    id = tether::execution_async_resource().id();
  });
  io.run();
  EXPECT_EQ(type, "asio.post");
  EXPECT_EQ(ev.name(id), "A");
}

TEST_F(executor_test, ResourcesCreatedInsideAHookAreHidden) {
  // A hook that posts from init: Node's rule, no recursion, no events.
  int posted_from_hook = 0;
  hook_recorder poster({.also = {.init = [&](async_id, std::string_view type, async_id,
                                             tether::resource&) {
    if (type == "asio.post" && posted_from_hook == 0) {
      ++posted_from_hook;
      net::post(io, [] {});
    }
  }}});
  poster.enable();
  net::post(io, [] {});
  io.run();
  EXPECT_EQ(posted_from_hook, 1);
  EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A", "after A",
                                     "destroy A"));
}

TEST_F(executor_test, NoHookNoEventsButContextStillFlows) {
  rec.disable();
  tether::async_local_storage<int> als;
  int seen = 0;
  als.run(3, [&] { net::post(io, [&] { seen = *als.get_store(); }); });
  io.run();
  EXPECT_EQ(seen, 3);
  EXPECT_THAT(rec.events(), IsEmpty());
}

}  // namespace
