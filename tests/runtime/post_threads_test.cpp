// event_loop::post across threads (TSan: the *_threads_test.cpp split):
// 1,000,000 posts from 4 threads arrive exactly once and in per-thread order;
// the POST resource is created on the posting thread in its context and run
// on the loop thread; a slow loop cannot be pushed past its capacity; posts
// racing the loop's destruction are either run, dropped with their destroy,
// or refused; a hold released from another thread; two loops ping-ponging.
#include <tether/event_loop.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/error.hpp>
#include <tether/integration.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"
#include "support/counted_store.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::event_loop;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::test::event_kind;

constexpr std::string_view post_type = "POST";

/// Counts init/destroy of POST resources from every thread (atomics: the
/// hook runs on the posting threads and on the loop thread).
class post_counter {
 public:
  post_counter() {
    tether::hook_callbacks cb;
    cb.init = [this](async_id, std::string_view type, async_id, tether::resource&) {
      if (type == post_type) {
        inits.fetch_add(1, std::memory_order_relaxed);
      }
    };
    cb.destroy = [this](async_id) { destroys.fetch_add(1, std::memory_order_relaxed); };
    hook_ = tether::create_hook(std::move(cb));
    hook_.enable();
  }
  std::atomic<std::size_t> inits{0};
  std::atomic<std::size_t> destroys{0};

 private:
  tether::async_hook hook_;
};

TEST(PostThreads, MillionPostsFromFourThreadsArriveOnceInPerThreadOrder) {
  constexpr std::size_t threads = 4;
  constexpr std::uint32_t per_thread = 250'000;
  post_counter counter;
  std::optional<event_loop> loop(std::in_place);
  const tether::loop_executor ex = loop->executor();
  std::vector<std::uint32_t> next(threads, 0);  // loop thread only
  std::size_t received = 0;
  std::size_t out_of_order = 0;
  std::size_t refused = 0;
  std::vector<std::size_t> refused_by(threads, 0);  // one slot per producer
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::size_t wrong_thread = 0;
  tether::loop_hold hold = loop->hold();

  std::vector<std::thread> producers;
  for (std::size_t t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < per_thread; ++i) {
        while (!ex.post([&, t, i] {
          if (std::this_thread::get_id() != loop_thread) {
            ++wrong_thread;
          }
          if (next[t] != i) {
            ++out_of_order;
          }
          next[t] = i + 1;
          if (++received == threads * per_thread) {
            hold.release();
          }
        })) {
          ++refused_by[t];  // the default capacity (2^20) is never reached here
          std::this_thread::yield();
        }
      }
    });
  }
  EXPECT_EQ(loop->run(), 0);
  for (std::thread& p : producers) {
    p.join();
  }
  for (std::size_t r : refused_by) {
    refused += r;
  }
  EXPECT_EQ(received, threads * per_thread);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(wrong_thread, 0u);
  EXPECT_EQ(refused, 0u);
  for (std::size_t t = 0; t < threads; ++t) {
    EXPECT_EQ(next[t], per_thread) << "thread " << t;
  }
  loop.reset();
  EXPECT_EQ(counter.inits.load(), threads * per_thread);
  EXPECT_EQ(counter.destroys.load(), counter.inits.load());
}

class PostThreadsFixture : public tether::test::loop_fixture {};

TEST_F(PostThreadsFixture, ResourceIsCreatedOnThePostersThreadInItsContext) {
  tether::async_local_storage<std::string> als;
  const tether::loop_executor ex = loop().executor();
  tether::loop_hold hold = loop().hold();
  async_id poster_top = 0;
  async_id outer_id = 0;
  std::thread::id poster_thread;
  std::string store;
  async_id inside = 0;
  async_id inside_trigger = 0;
  std::thread poster([&] {
    poster_thread = std::this_thread::get_id();
    poster_top = execution_async_id();
    als.run("request-9", [&] {
      tether::async_resource outer("Outer");
      outer_id = outer.id();
      outer.run_in_async_scope([&] {
        EXPECT_TRUE(ex.post([&] {
          const std::string* s = als.get_store();
          store = s != nullptr ? *s : "none";
          inside = execution_async_id();
          inside_trigger = trigger_async_id();
          mark("cb");
          hold.release();
        }));
      });
    });
  });
  poster.join();
  loop().run();
  const async_id id = last_id(post_type);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(store, "request-9");
  EXPECT_EQ(inside, id);
  EXPECT_EQ(inside_trigger, outer_id);
  EXPECT_NE(poster_top, top()) << "the poster thread has its own top-level id";
  EXPECT_THAT(rec().events_of_type(post_type),
              ElementsAre(init(post_type, id, outer_id), before(id), after(id), destroy(id)));
  for (const auto& r : rec().records()) {
    if (r.id != id) {
      continue;
    }
    if (r.kind == event_kind::init) {
      EXPECT_EQ(r.thread, poster_thread) << "init runs where post() was called";
      EXPECT_EQ(r.execution_id, outer_id);
    } else {
      EXPECT_EQ(r.thread, std::this_thread::get_id()) << tether::test::to_string(r);
    }
  }
}

TEST_F(PostThreadsFixture, HoldAndRunCallbackFromAnotherThreadThrow) {
  std::string hold_error;
  std::string run_error;
  tether::async_resource r("Raw");
  std::thread([&] {
    try {
      (void)loop().hold();
    } catch (const tether::usage_error& e) {
      hold_error = e.what();
    }
    try {
      loop().run_callback(r, [] {});
    } catch (const tether::usage_error& e) {
      run_error = e.what();
    }
  }).join();
  EXPECT_THAT(hold_error, ::testing::HasSubstr("hold()"));
  EXPECT_THAT(run_error, ::testing::HasSubstr("run_callback()"));
}

TEST_F(PostThreadsFixture, HoldReleasedFromAnotherThreadLetsRunReturn) {
  tether::loop_hold hold = loop().hold();
  std::atomic<bool> ran{false};
  std::thread releaser([&, ex = loop().executor()]() mutable {
    EXPECT_TRUE(ex.post([&] { ran = true; }));
    std::this_thread::sleep_for(20ms);
    hold.release();
  });
  EXPECT_EQ(loop().run(), 0);  // returns only once the hold is gone
  releaser.join();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(hold.held());
}

// The loop is stuck in a post callback; a producer posts as fast as it can.
// It gets exactly `capacity` places (the running post still holds its own),
// every further post is refused, and nothing accepted is lost.
TEST_F(PostThreadsFixture, ASlowLoopCannotBePushedPastItsCapacity) {
  constexpr std::size_t capacity = 1000;
  loop().set_post_capacity(capacity);
  const tether::loop_executor ex = loop().executor();
  std::atomic<bool> blocked{false};
  std::atomic<bool> unblock{false};
  std::size_t ran = 0;
  EXPECT_TRUE(loop().post([&] {
    blocked = true;
    while (!unblock.load()) {
      std::this_thread::sleep_for(1ms);
    }
  }));
  std::size_t accepted = 1;
  std::size_t refused = 0;
  std::thread producer([&] {
    while (!blocked.load()) {
      std::this_thread::yield();
    }
    for (int i = 0; i < 5000; ++i) {
      if (ex.post([&] { ++ran; })) {
        ++accepted;
      } else {
        ++refused;
      }
    }
    unblock = true;
  });
  loop().run();
  producer.join();
  EXPECT_EQ(accepted, capacity);
  EXPECT_EQ(refused, 5000 - (capacity - 1));
  EXPECT_EQ(ran, capacity - 1);
  // Places come back as posts run.
  EXPECT_TRUE(ex.post([&] { ++ran; }));
  loop().run();
  EXPECT_EQ(ran, capacity);
}

// Producers keep posting while the loop is destroyed: every accepted post
// runs or is dropped with its destroy, every init gets its destroy, the
// producers see `false` once the loop has ended, and nothing is touched after.
TEST(PostThreads, PostsRacingTheLoopsDestructionAreRunDroppedOrRefused) {
  post_counter counter;
  std::optional<event_loop> loop(std::in_place);
  const tether::loop_executor ex = loop->executor();
  std::atomic<std::size_t> ran{0};
  std::atomic<std::size_t> accepted{0};
  std::atomic<int> first_batch_done{0};
  std::atomic<bool> go_on{false};
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&] {
      // First 1000 posts each, which the loop runs; then posts until the
      // loop has ended, while it is being destroyed.
      for (int i = 0; i < 1000; ++i) {
        if (ex.post([&] { ran.fetch_add(1); })) {
          accepted.fetch_add(1);
        }
      }
      first_batch_done.fetch_add(1);
      while (!go_on.load()) {
        std::this_thread::yield();
      }
      while (!ex.ended()) {
        if (ex.post([&] { ran.fetch_add(1); })) {
          accepted.fetch_add(1);
        }
      }
      EXPECT_FALSE(ex.post([&] { ran.fetch_add(1); }));
    });
  }
  while (first_batch_done.load() != 3) {
    std::this_thread::yield();
  }
  loop->run();
  EXPECT_EQ(ran.load(), 3000u);
  go_on = true;
  // Wait for the second batch to start (not a fixed sleep: on a loaded
  // machine the producers may not have run yet), then destroy the loop.
  while (accepted.load() <= 3000u) {
    std::this_thread::yield();
  }
  loop.reset();  // with posts arriving
  for (std::thread& p : producers) {
    p.join();
  }
  EXPECT_TRUE(ex.ended());
  EXPECT_GT(accepted.load(), 3000u);
  EXPECT_EQ(ran.load(), 3000u);
  // A post that lost the race with the loop's end reports init, then
  // destroy, and returns false: inits may exceed the accepted ones.
  EXPECT_GE(counter.inits.load(), accepted.load());
  EXPECT_EQ(counter.destroys.load(), counter.inits.load());
}

// Two loops on two threads post to each other N times (the post round trip
// the benchmark times), each hop in the context of the previous one.
TEST(PostThreads, TwoLoopsPingPong) {
  constexpr int rounds = 10'000;
  std::atomic<bool> ready{false};
  tether::loop_executor there;
  std::optional<tether::loop_hold> pong_hold;
  std::thread pong([&] {
    event_loop loop;
    there = loop.executor();
    pong_hold.emplace(loop.hold());
    ready = true;
    loop.run();  // until the ping side releases pong_hold
  });
  while (!ready.load()) {
    std::this_thread::yield();
  }
  event_loop loop;
  tether::loop_hold hold = loop.hold();
  const tether::loop_executor back = loop.executor();
  tether::async_local_storage<int> als;
  int count = 0;
  int last_store = 0;
  std::function<void()> ping = [&] {
    const int* store = als.get_store();
    last_store = store != nullptr ? *store : -1;
    if (++count == rounds) {
      hold.release();
      there.post([&] { pong_hold->release(); });
      return;
    }
    there.post([&] { back.post(ping); });
  };
  als.run(5, [&] { there.post([&] { back.post(ping); }); });
  loop.run();
  pong.join();
  EXPECT_EQ(count, rounds);
  EXPECT_EQ(last_store, 5) << "the store travels with every hop";
}

// A frame whose last reference another thread drops goes home to the loop
// thread, which frees it (and its store) on its loop's next turn, though it
// makes no frame of its own there (semantics 6.8).
TEST(PostThreads, FrameSentHomeIsFreedByTheLoopsNextTurn) {
  using counted = tether::test::atomic_counted;
  counted::reset();
  event_loop loop;
  tether::async_local_storage<counted> als;
  std::unique_ptr<tether::async_resource> r;
  als.run(counted(1), [&] { r = std::make_unique<tether::async_resource>("Sent"); });
  std::thread([&] { r.reset(); }).join();
  EXPECT_EQ(counted::destroyed.load(), 0) << "queued home, not freed";

  int turns = 0;
  tether::set_immediate([&] { ++turns; });
  loop.run();
  EXPECT_EQ(turns, 1);
  EXPECT_EQ(counted::destroyed.load(), 1);
}

}  // namespace
