// event_loop::post on one thread: the POST resource (type, trigger, context,
// exact hook sequence), the drain after each post, posts queued before run(),
// the bound (set_post_capacity), an exception mid-batch, teardown with posts
// that never ran, executors that outlive the loop, hold(), and
// event_loop::run_callback from a raw libuv handle. The threaded cases are in
// post_threads_test.cpp.
#include <tether/event_loop.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <uv.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/error.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::event_loop;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::usage_error;

constexpr std::string_view post_type = "POST";

class Post : public tether::test::loop_fixture {};

TEST_F(Post, RunsInAPostResourceCreatedInTheCallersContext) {
  async_id inside = 0;
  async_id inside_trigger = 0;
  EXPECT_TRUE(loop().post([&] {
    inside = execution_async_id();
    inside_trigger = trigger_async_id();
    mark("cb");
  }));
  const async_id id = last_id(post_type);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(inside, id);
  EXPECT_EQ(inside_trigger, top());
  EXPECT_THAT(log(), ElementsAre(init(post_type, id, top()), before(id), "cb", after(id), destroy(id)));
}

TEST_F(Post, TriggerIsThePostersExecutionIdAndStoresAreThePosters) {
  tether::async_local_storage<int> als;
  std::optional<tether::async_resource> outer;
  int store = -1;
  async_id trigger = 0;
  als.run(7, [&] {
    outer.emplace("Outer");  // captures the store
    outer->run_in_async_scope([&] {
      loop().post([&] {
        const int* s = als.get_store();
        store = s != nullptr ? *s : 0;
        trigger = trigger_async_id();
      });
    });
  });
  loop().run();
  EXPECT_EQ(store, 7);
  EXPECT_EQ(trigger, outer->id());
}

TEST_F(Post, TicksAndMicrotasksRunAfterEachPostBeforeTheNext) {
  loop().post([&] {
    mark("a");
    tether::queue_microtask([&] { mark("a.microtask"); });
    tether::next_tick([&] { mark("a.tick"); });
  });
  loop().post([&] { mark("b"); });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("a", "a.tick", "a.microtask", "b"));
}

TEST_F(Post, PostsFromACallbackRunInTheSameOrderInALaterPollPhase) {
  tether::set_immediate([&] {
    mark("immediate");
    loop().post([&] { mark("post1"); });
    loop().post([&] { mark("post2"); });
    tether::set_immediate([&] { mark("immediate2"); });
  });
  loop().run();
  // The posts wake the loop: they run in the next poll phase, after the
  // immediate that queued them and before the immediate it queued (check
  // phase of the next turn).
  EXPECT_THAT(markers(), ElementsAre("immediate", "post1", "post2", "immediate2"));
}

TEST_F(Post, PostsMadeBeforeRunKeepTheLoopAliveUntilTheyRan) {
  int ran = 0;
  for (int i = 0; i < 3; ++i) {
    loop().post([&] { ++ran; });
  }
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(ran, 3);
  // And with nothing queued, run() returns at once (the handle is unref'd).
  EXPECT_EQ(loop().run(), 0);
}

TEST_F(Post, CapacityBoundsTheQueueAndFreesAsPostsRun) {
  EXPECT_EQ(loop().post_capacity(), event_loop::default_post_capacity);
  loop().set_post_capacity(3);
  int ran = 0;
  auto owned = std::make_shared<int>(1);
  EXPECT_TRUE(loop().post([&] { ++ran; }));
  EXPECT_TRUE(loop().post([&] { ++ran; }));
  EXPECT_TRUE(loop().post([&] { ++ran; }));
  const std::size_t inits = rec().ids().size();
  EXPECT_FALSE(loop().post([&, owned] { ++ran; }));
  EXPECT_EQ(owned.use_count(), 1) << "a refused post's callback is destroyed at once";
  EXPECT_EQ(rec().ids().size(), inits) << "a refused post creates no resource";
  loop().run();
  EXPECT_EQ(ran, 3);
  EXPECT_TRUE(loop().post([&] { ++ran; }));
  loop().run();
  EXPECT_EQ(ran, 4);
  EXPECT_THROW(loop().set_post_capacity(0), usage_error);
}

TEST_F(Post, ExceptionMidBatchStopsRunAndTheRestRunsInTheNextRun) {
  loop().post([&] { mark("a"); });
  loop().post([&] {
    mark("b");
    tether::next_tick([&] { mark("b.tick"); });
    throw std::runtime_error("post failed");
  });
  loop().post([&] { mark("c"); });
  EXPECT_THROW(loop().run(), std::runtime_error);
  EXPECT_THAT(markers(), ElementsAre("a", "b"));
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(markers(), ElementsAre("a", "b", "b.tick", "c"));
}

TEST_F(Post, UncaughtHandlerSeesTheExceptionInsideThePost) {
  async_id in_handler = 0;
  loop().on_uncaught_exception([&](std::exception_ptr) { in_handler = execution_async_id(); });
  loop().post([] { throw std::runtime_error("x"); });
  const async_id id = last_id(post_type);
  loop().post([&] { mark("next"); });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(in_handler, id);
  EXPECT_THAT(markers(), ElementsAre("next"));
}

TEST_F(Post, PostsThatNeverRanAreDestroyedWithTheLoop) {
  auto owned = std::make_shared<int>(1);
  bool ran = false;
  loop().post([&ran, owned] { ran = true; });
  const async_id id = last_id(post_type);
  tether::event_loop* l = &loop();
  const tether::loop_executor ex = l->executor();
  EXPECT_FALSE(ex.ended());
  destroy_loop();
  EXPECT_FALSE(ran);
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_THAT(log(), ElementsAre(init(post_type, id, top()), destroy(id)));
  // The executor outlives the loop: posting through it is refused cleanly.
  EXPECT_TRUE(ex.ended());
  EXPECT_FALSE(ex.post([&ran, owned] { ran = true; }));
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(tether::loop_executor{}.post([] {}));
  EXPECT_TRUE(tether::loop_executor{}.ended());
}

TEST_F(Post, ExecutorPostsToItsLoop) {
  const tether::loop_executor ex = loop().executor();
  EXPECT_EQ(ex, loop().executor());
  EXPECT_TRUE(ex.post([&] { mark("via-executor"); }));
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("via-executor"));
}

TEST_F(Post, HoldKeepsRunGoingUntilReleasedOnTheLoopThread) {
  tether::loop_hold hold = loop().hold();
  EXPECT_TRUE(hold.held());
  tether::set_timeout([&] {
    mark("timer");
    loop().post([&] {
      mark("post");
      hold.release();
    });
  });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(hold.held());
  EXPECT_THAT(markers(), ElementsAre("timer", "post"));
  hold.release();  // idempotent
}

TEST_F(Post, MovedHoldReleasesOnce) {
  tether::loop_hold a = loop().hold();
  tether::loop_hold b = std::move(a);
  EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(b.held());
  tether::set_timeout([&] { b = tether::loop_hold{}; });  // releases
  EXPECT_EQ(loop().run(), 0);
}

// A native libuv handle whose callback enters the runtime through
// run_callback: ticks and microtasks queued there run before the callback
// returns to libuv (the trap of issue 9: called directly, they stayed queued).
struct raw_timer : tether::async_resource {
  raw_timer() : tether::async_resource("RawTimer") {}
  uv_timer_t handle{};
  std::function<void()> fn;
  std::function<void()> then;
};

TEST_F(Post, RunCallbackFromARawLibuvHandleDrainsTicksAndMicrotasks) {
  raw_timer t;
  t.handle.data = &t;
  ASSERT_EQ(uv_timer_init(loop().native_handle(), &t.handle), 0);
  t.then = [&] { mark("returned"); };
  t.fn = [&] {
    mark("raw");
    tether::next_tick([&] { mark("tick"); });
    tether::queue_microtask([&] { mark("microtask"); });
  };
  uv_timer_start(
      &t.handle,
      [](uv_timer_t* h) {
        auto& self = *static_cast<raw_timer*>(h->data);
        EXPECT_TRUE(tether::event_loop::current().run_callback(self, [&] {
          self.fn();
        }));
        // Drained before run_callback returned to this libuv callback:
        self.then();
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
      },
      1, 0);
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("raw", "tick", "microtask", "returned"));
  const async_id id = t.id();
  EXPECT_THAT(log(), ::testing::IsSupersetOf({before(id), after(id)}));
}

TEST_F(Post, RunCallbackNestedInsideACallbackLeavesTheDrainToTheOuterOne) {
  tether::async_resource inner("Inner");
  tether::set_immediate([&] {
    loop().run_callback(inner, [&] {
      mark("inner");
      tether::next_tick([&] { mark("tick"); });
    });
    mark("outer-continues");
  });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("inner", "outer-continues", "tick"));
}

TEST_F(Post, RunCallbackRoutesExceptionsToTheUncaughtPath) {
  tether::async_resource r("Raw");
  std::string what;
  loop().on_uncaught_exception([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    }
  });
  EXPECT_TRUE(loop().run_callback(r, [] { throw std::runtime_error("raw failure"); }));
  EXPECT_EQ(what, "raw failure");
}

}  // namespace
