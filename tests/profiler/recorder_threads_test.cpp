// The recorder across threads: what it writes equals what a test hook saw,
// thread by thread; losses are counted per thread under a slow writer.

#include <sys/syscall.h>
#include <unistd.h>

#include <barrier>
#include <set>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tether/profiler.hpp>

#include "profiler/recorder.hpp"
#include "profiler_test_support.hpp"
#include "support/hook_recorder.hpp"

namespace tether::profiler::test {
namespace {

using format::kind;

std::string describe(std::string_view k, async_id id, std::string_view type = {}, async_id trigger = 0) {
  std::string s = std::string(k) + " " + std::to_string(id);
  if (!type.empty()) s += " " + std::string(type) + " <- " + std::to_string(trigger);
  return s;
}

// Four threads create resources, nest scopes, resolve and destroy; two of
// the resources are created on one thread and run on another. The trace,
// per thread, is exactly the test hook's sequence for that thread.
TEST(ProfilerThreads, RoundTripEqualsWhatATestHookSawOnEveryThread) {
  const auto dir = scratch_dir("roundtrip");
  start({.path = (dir / "t.tether").string(), .buffer_events = 1 << 15});
  tether::test::hook_recorder hook;
  hook.enable();

  std::mutex tids_mutex;
  std::map<std::thread::id, std::uint64_t> tids;
  std::barrier sync(4);
  std::vector<std::unique_ptr<op>> handoff(4);
  auto worker = [&](int index) {
    {
      std::lock_guard lock(tids_mutex);
      tids[std::this_thread::get_id()] = static_cast<std::uint64_t>(::syscall(SYS_gettid));
    }
    const std::string type = "Work" + std::to_string(index);
    for (int k = 0; k < 2000; ++k) {
      op outer(type);
      {
        callback_scope s(outer);
        op inner("Inner");
        { callback_scope s2(inner); }
        emit_promise_resolve(inner);
        emit_destroy(inner);
      }
      emit_destroy(outer);
    }
    handoff[static_cast<std::size_t>(index)] = std::make_unique<op>("Handoff");
    sync.arrive_and_wait();
    op& theirs = *handoff[static_cast<std::size_t>((index + 1) % 4)];  // made on another thread
    { callback_scope s(theirs); }
    sync.arrive_and_wait();
    emit_destroy(*handoff[static_cast<std::size_t>(index)]);
    sync.arrive_and_wait();
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  hook.disable();
  const stats st = stop();
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_EQ(st.threads, 4u);

  std::map<std::uint64_t, std::vector<std::string>> expected;  // tid -> events
  for (const auto& r : hook.records()) {
    const std::uint64_t tid = tids.at(r.thread);
    expected[tid].push_back(r.kind == tether::test::event_kind::init
                                ? describe(tether::test::to_string(r.kind), r.id, r.type, r.trigger)
                                : describe(tether::test::to_string(r.kind), r.id));
  }
  const collected_trace t = read_all(dir / "t.tether");
  std::map<std::uint32_t, std::uint64_t> tid_of;
  for (const auto& th : t.threads) tid_of[th.index] = th.tid;
  std::map<std::uint64_t, std::vector<std::string>> recorded;
  static constexpr std::string_view names[] = {"init", "before", "after", "destroy", "promise_resolve"};
  for (const auto& e : t.events) {
    ASSERT_NE(e.kind, kind::lost);
    const auto name = names[static_cast<int>(e.kind)];
    recorded[tid_of.at(e.thread)].push_back(e.kind == kind::init ? describe(name, e.id, t.type_of(e), e.trigger)
                                                                 : describe(name, e.id));
  }
  ASSERT_EQ(recorded.size(), 4u);
  EXPECT_EQ(recorded, expected);
  std::size_t total = 0;
  for (const auto& [tid, events] : expected) total += events.size();
  EXPECT_EQ(st.recorded, total);
  for (std::size_t k = 1; k < t.events.size(); ++k) ASSERT_LE(t.events[k - 1].ts, t.events[k].ts);
}

TEST(ProfilerThreads, EachThreadsLossIsCountedUnderASlowWriter) {
  const auto dir = scratch_dir("loss");
  std::atomic<std::uint64_t> seen{0};
  auto counter = create_hook({.init = [&](async_id, std::string_view, async_id, resource&) { ++seen; },
                              .before = [&](async_id) { ++seen; },
                              .after = [&](async_id) { ++seen; },
                              .destroy = [&](async_id) { ++seen; }});
  detail::set_writer_stall_for_testing(std::chrono::milliseconds(100));
  start({.path = (dir / "t.tether").string(), .buffer_events = 512});
  counter.enable();
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([] {
      for (int k = 0; k < 20'000; ++k) one_life("Burst");
    });
  }
  for (auto& t : threads) t.join();
  counter.disable();
  const stats st = stop();
  detail::set_writer_stall_for_testing(std::chrono::milliseconds(0));

  EXPECT_EQ(seen.load(), 240'000u);
  EXPECT_GT(st.dropped, 0u);
  EXPECT_EQ(st.recorded + st.dropped, seen.load());
  const collected_trace t = read_all(dir / "t.tether");
  EXPECT_EQ(t.end.dropped, st.dropped);
  EXPECT_EQ(t.file.events, st.recorded);
  std::set<std::uint32_t> threads_with_gaps;
  for (const auto& e : t.events) {
    if (e.kind == kind::lost) threads_with_gaps.insert(e.thread);
  }
  EXPECT_EQ(threads_with_gaps.size(), 3u);
  EXPECT_EQ(t.file.lost_events, st.dropped);
}

}  // namespace
}  // namespace tether::profiler::test
