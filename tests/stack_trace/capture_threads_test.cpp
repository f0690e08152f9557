// Capture and symbolization on several threads at once (run under TSan by
// the tsan preset): per-thread chains stay per thread, a resource created on
// one thread and run on another keeps its creation hop, thread-pool work sees
// the hop that queued it, and toggling capture while threads create
// resources leaks nothing.
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/work.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;

constexpr int thread_count = 4;
constexpr int rounds = 200;

TETHER_NOINLINE async_trace nested_on_this_thread(int depth, const std::string& type) {
  async_resource r(type);
  return r.run_in_async_scope([&] {
    return depth == 0 ? async_stack_trace() : nested_on_this_thread(depth - 1, type);
  });
}

TEST(CaptureThreads, EachThreadSeesItsOwnChain) {
  set_stack_trace_options({});
  const std::uint64_t records_before = get_stack_trace_stats().live_records;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string type = "Thread" + std::to_string(t);
      for (int i = 0; i < rounds; ++i) {
        const async_trace trace = nested_on_this_thread(3, type);
        const std::vector<async_hop> hops = trace.hops();
        bool ok = hops.size() == 4;
        for (const async_hop& h : hops) {
          ok = ok && h.type == type && mentions(h.frames, "nested_on_this_thread");
        }
        if (i % 50 == 0) {
          ok = ok && to_string(trace).find("nested_on_this_thread") != std::string::npos;
        }
        if (!ok) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(get_stack_trace_stats().live_records, records_before);
  set_stack_trace_options({.enabled = false});
}

TETHER_NOINLINE std::shared_ptr<async_resource> create_on_main_thread() {
  return std::make_shared<async_resource>("CrossThread");
}

TEST(CaptureThreads, ResourceRunOnAnotherThreadKeepsItsCreationHop) {
  set_stack_trace_options({});
  const std::shared_ptr<async_resource> r = create_on_main_thread();
  async_trace seen;
  std::thread other([&] { r->run_in_async_scope([&] { seen = async_stack_trace(); }); });
  other.join();
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].id, r->id());
  EXPECT_TRUE(mentions(hops[0].frames, "create_on_main_thread"));
  set_stack_trace_options({.enabled = false});
}

TETHER_NOINLINE void queue_traced_work(std::vector<async_trace>& out, int n) {
  for (int i = 0; i < n; ++i) {
    queue_work([] { return async_stack_trace(); },
               [&out](std::exception_ptr, async_trace t) { out.push_back(std::move(t)); });
  }
}

TEST(CaptureThreads, PoolWorkSeesTheHopThatQueuedIt) {
  set_stack_trace_options({});
  std::vector<async_trace> traces;
  {
    event_loop loop;
    queue_traced_work(traces, 16);
    loop.run();
  }
  ASSERT_EQ(traces.size(), 16u);
  for (const async_trace& t : traces) {
    const std::vector<async_hop> hops = t.hops();
    ASSERT_EQ(hops.size(), 1u);
    EXPECT_EQ(hops[0].type, "QUEUEWORK");
    EXPECT_TRUE(mentions(hops[0].frames, "queue_traced_work")) << to_string(t);
  }
  set_stack_trace_options({.enabled = false});
}

TEST(CaptureThreads, TogglingCaptureWhileThreadsCreateResourcesLeaksNothing) {
  const std::uint64_t records_before = get_stack_trace_stats().live_records;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&stop] {
      while (!stop.load()) {
        (void)nested_on_this_thread(2, "Toggled");
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    set_stack_trace_options({.enabled = i % 2 == 0});
  }
  stop = true;
  for (std::thread& t : threads) {
    t.join();
  }
  set_stack_trace_options({.enabled = false});
  EXPECT_EQ(get_stack_trace_stats().live_records, records_before);
}

}  // namespace
}  // namespace tether::test
