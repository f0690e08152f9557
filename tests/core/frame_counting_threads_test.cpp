// Biased reference counting of context frames (context_frame.hpp): the home
// thread counts in a plain integer; drops on other threads, frames sent home,
// and the merge at thread exit. Labelled `threads`: runs under ThreadSanitizer.

#include <tether/detail/context_frame.hpp>

#include <atomic>
#include <cstddef>
#include <latch>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tether/async_local_storage.hpp>
#include <tether/integration.hpp>

#include "support/counted_store.hpp"

namespace {

using tether::async_local_storage;
using tether::async_resource;

using counted = tether::test::atomic_counted;

class FrameCounting : public ::testing::Test {
 protected:
  void SetUp() override { counted::reset(); }
};

const tether::detail::context_frame* current_frame() { return tether::detail::tls.frame; }

// The common path: references taken and dropped on the thread that made the
// frame touch only the plain count; the shared atomic word is never written.
TEST_F(FrameCounting, HomeThreadCountsInThePlainCountAlone) {
  async_local_storage<int> als;
  als.run(1, [&] {
    const auto* f = current_frame();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->owner.load(), &tether::detail::tls);
    EXPECT_EQ(f->biased, 1u);  // the run itself
    {
      std::vector<std::unique_ptr<async_resource>> resources;
      for (int i = 0; i < 100; ++i) {
        resources.push_back(std::make_unique<async_resource>("Child"));
      }
      const tether::captured_context copy = tether::captured_context::current();
      EXPECT_EQ(f->biased, 102u);
      EXPECT_EQ(f->shared.load(), 0);
    }
    EXPECT_EQ(f->biased, 1u);
    EXPECT_EQ(f->shared.load(), 0);
  });
}

// The last reference dropped on another thread: the frame goes home and is
// freed, with its store, the next time its home thread makes a frame.
TEST_F(FrameCounting, FrameDroppedLastElsewhereIsFreedWhenItsHomeThreadNextMakesOne) {
  async_local_storage<counted> als;
  std::unique_ptr<async_resource> r;
  const tether::detail::context_frame* frame = nullptr;
  als.run(counted(1), [&] {
    r = std::make_unique<async_resource>("Sent");
    frame = current_frame();
  });
  EXPECT_EQ(frame->biased, 1u);  // r's reference, taken here

  std::thread([&] { r.reset(); }).join();
  // Dropped below zero elsewhere: queued home, not freed.
  EXPECT_EQ(frame->shared.load(), -tether::detail::frame_one | tether::detail::frame_queued);
  EXPECT_EQ(counted::destroyed.load(), 0);

  async_local_storage<int> other;
  other.run(2, [] {});  // a new frame: the home thread's safe point
  EXPECT_EQ(counted::destroyed.load(), 1);
}

// The home thread drops its last reference while another thread still holds
// one: the frame is merged, not freed, and the other thread's drop frees it.
TEST_F(FrameCounting, AFrameHeldOnlyByAnotherThreadLivesUntilThatThreadDropsIt) {
  async_local_storage<counted> als;
  std::optional<tether::captured_context> held;
  std::latch taken(1);
  std::latch home_done(1);
  std::optional<int> seen;
  std::thread other;
  als.run(counted(3), [&] {
    const tether::captured_context mine = tether::captured_context::current();
    other = std::thread([&] {
      held.emplace(mine);  // a reference taken on this thread
      taken.count_down();
      home_done.wait();
      const tether::context_scope scope(*held);
      const counted* c = als.get_store();
      seen = c != nullptr ? std::optional<int>(c->value) : std::nullopt;
      held.reset();
      EXPECT_EQ(counted::destroyed.load(), 1);  // freed by this drop
    });
    taken.wait();
  });
  EXPECT_EQ(counted::destroyed.load(), 0);
  home_done.count_down();
  other.join();
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(counted::destroyed.load(), 1);
}

// A frame whose home thread has exited is counted in the shared word alone:
// the thread that drops its last reference frees it at once.
TEST_F(FrameCounting, FramesOfAnExitedThreadAreFreedByTheLastDrop) {
  async_local_storage<counted> als;
  std::unique_ptr<async_resource> r;
  std::thread([&] { als.run(counted(1), [&] { r = std::make_unique<async_resource>("Kept"); }); })
      .join();
  EXPECT_EQ(counted::destroyed.load(), 0);
  const std::optional<int> seen = r->run_in_async_scope([&]() -> std::optional<int> {
    const counted* c = als.get_store();
    return c != nullptr ? std::optional<int>(c->value) : std::nullopt;
  });
  EXPECT_EQ(seen, 1);
  r.reset();
  EXPECT_EQ(counted::destroyed.load(), 1);
}

// A thread that exits while other threads drop references its frames hold
// and send them home: every store is freed exactly once, none is lost.
TEST_F(FrameCounting, DropsRacingTheHomeThreadsExitFreeEachFrameOnce) {
  async_local_storage<counted> als;
  constexpr int rounds = 200;
  constexpr std::size_t per_round = 8;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::unique_ptr<async_resource>> resources(per_round);
    std::latch made(1);
    std::latch go(2);
    std::thread home([&] {
      for (std::size_t i = 0; i < resources.size(); ++i) {
        als.run(counted(static_cast<int>(i)),
                [&] { resources[i] = std::make_unique<async_resource>("Sent"); });
      }
      made.count_down();
      go.arrive_and_wait();
      // exits now: merges what it counts while the other thread drops
    });
    std::thread dropper([&] {
      made.wait();
      go.arrive_and_wait();
      for (auto& r : resources) {
        r.reset();
      }
    });
    home.join();
    dropper.join();
    ASSERT_EQ(counted::destroyed.load(), (round + 1) * static_cast<int>(per_round)) << "round " << round;
  }
}

// Many threads take and drop references to one home frame at once, while the
// home thread does too; the count comes back to exactly the home's own.
TEST_F(FrameCounting, ConcurrentTakesAndDropsFromManyThreadsBalance) {
  async_local_storage<counted> als;
  std::vector<std::unique_ptr<async_resource>> resources(4000);
  als.run(counted(7), [&] {
    for (auto& r : resources) {
      r = std::make_unique<async_resource>("Shared");
    }
  });
  std::atomic<int> wrong{0};
  std::latch start(3);
  auto work = [&](std::size_t begin, std::size_t end) {
    start.arrive_and_wait();
    for (std::size_t i = begin; i < end; ++i) {
      resources[i]->run_in_async_scope([&] {
        const counted* c = als.get_store();
        if (c == nullptr || c->value != 7) {
          ++wrong;
        }
        const tether::captured_context copy = tether::captured_context::current();
      });
      resources[i].reset();
    }
  };
  std::thread t1(work, std::size_t{0}, std::size_t{1500});
  std::thread t2(work, std::size_t{1500}, std::size_t{3000});
  work(3000, 4000);  // the home thread
  t1.join();
  t2.join();
  EXPECT_EQ(wrong.load(), 0);
  async_local_storage<int> other;
  other.run(1, [] {});
  EXPECT_EQ(counted::destroyed.load(), 1);
}

}  // namespace
