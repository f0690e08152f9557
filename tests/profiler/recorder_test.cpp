// The recorder on one thread: options, loss counting under a slow writer,
// bounded memory over 10,000,000 events, type interning.

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tether/error.hpp>
#include <tether/profiler.hpp>

#include "profiler/recorder.hpp"
#include "profiler_test_support.hpp"

namespace tether::profiler::test {
namespace {

using format::kind;

std::size_t resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

struct writer_stall {
  explicit writer_stall(std::chrono::milliseconds ms) { detail::set_writer_stall_for_testing(ms); }
  ~writer_stall() { detail::set_writer_stall_for_testing(std::chrono::milliseconds(0)); }
};

TEST(ProfilerRecorder, StartValidatesItsOptions) {
  EXPECT_THROW(start({.path = ""}), usage_error);
  const auto dir = scratch_dir("opts");
  EXPECT_THROW(start({.path = (dir / "t").string(), .buffer_events = 8}), usage_error);
  EXPECT_THROW(start({.path = (dir / "no-such-dir" / "t").string()}), std::system_error);
  EXPECT_FALSE(running());
  EXPECT_EQ(stop().recorded, 0u);  // nothing running: zeros, no error
}

TEST(ProfilerRecorder, SecondStartThrowsAndNamesTheFix) {
  const auto dir = scratch_dir("twice");
  start({.path = (dir / "a.tether").string()});
  try {
    start({.path = (dir / "b.tether").string()});
    ADD_FAILURE() << "second start did not throw";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("stop()"));
  }
  EXPECT_TRUE(running());
  EXPECT_EQ(current_path(), (dir / "a.tether").string());
  stop();
  EXPECT_FALSE(running());
}

TEST(ProfilerRecorder, PercentPBecomesThePid) {
  const auto dir = scratch_dir("pid");
  start({.path = (dir / "t.%p.tether").string()});
  const stats s = stop();
  EXPECT_GT(s.bytes_written, 0u);
  EXPECT_TRUE(std::filesystem::exists(dir / ("t." + std::to_string(::getpid()) + ".tether")));
}

TEST(ProfilerRecorder, RecordsEveryEventOfOneThreadInOrder) {
  const auto dir = scratch_dir("order");
  start({.path = (dir / "t.tether").string()});
  async_id outer_id = 0, inner_id = 0;
  {
    op outer("Outer");
    outer_id = outer.id();
    {
      callback_scope s(outer);
      op inner("Inner");
      inner_id = inner.id();
      emit_promise_resolve(inner);
      emit_destroy(inner);
    }
    emit_destroy(outer);
  }
  const stats st = stop();
  EXPECT_EQ(st.recorded, 7u);
  EXPECT_EQ(st.dropped, 0u);
  const collected_trace t = read_all(dir / "t.tether");
  std::vector<std::string> seen;
  for (const auto& e : t.events) {
    std::string s = std::to_string(static_cast<int>(e.kind)) + " " + std::to_string(e.id);
    if (e.kind == kind::init) s += " " + t.type_of(e) + " <- " + std::to_string(e.trigger);
    seen.push_back(s);
  }
  const std::string o = std::to_string(outer_id), i = std::to_string(inner_id);
  EXPECT_THAT(seen, ::testing::ElementsAre("0 " + o + " Outer <- 1", "1 " + o, "0 " + i + " Inner <- " + o, "4 " + i,
                                           "3 " + i, "2 " + o, "3 " + o));
  for (std::size_t k = 1; k < t.events.size(); ++k) EXPECT_LE(t.events[k - 1].ts, t.events[k].ts);
  EXPECT_TRUE(t.end.present);
  EXPECT_EQ(t.end.recorded, 7u);
  EXPECT_EQ(t.end.reason, format::end_reason::stopped);
}

TEST(ProfilerRecorder, EachTypeNameIsWrittenOnce) {
  const auto dir = scratch_dir("types");
  start({.path = (dir / "t.tether").string()});
  for (int k = 0; k < 1000; ++k) {
    async_resource r(k % 2 == 0 ? "EvenJob" : "OddJob");  // copied into each object: new addresses
  }
  stop();
  const collected_trace t = read_all(dir / "t.tether");
  std::map<std::string, int> names;
  for (const auto& [id, name] : t.types) ++names[name];
  EXPECT_EQ(names["EvenJob"], 1);
  EXPECT_EQ(names["OddJob"], 1);
  std::map<std::string, int> inits;
  for (const auto& e : t.events) {
    if (e.kind == kind::init) ++inits[t.type_of(e)];
  }
  EXPECT_EQ(inits["EvenJob"], 500);
  EXPECT_EQ(inits["OddJob"], 500);
}

// The writer stalls 200 ms per pass (a slow disk) while one thread records
// 200,000 events into a 1,024-event ring: most are dropped, none blocks, and
// every one is accounted for.
TEST(ProfilerRecorder, DropsAndCountsWhenTheWriterFallsBehind) {
  const auto dir = scratch_dir("loss");
  std::uint64_t seen = 0;
  auto counter = create_hook({.init = [&](async_id, std::string_view, async_id, resource&) { ++seen; },
                              .before = [&](async_id) { ++seen; },
                              .after = [&](async_id) { ++seen; },
                              .destroy = [&](async_id) { ++seen; }});
  stats st;
  {
    writer_stall stall(std::chrono::milliseconds(200));
    start({.path = (dir / "t.tether").string(), .buffer_events = 1024});
    counter.enable();
    for (int k = 0; k < 50'000; ++k) one_life("Burst");
    counter.disable();
    st = stop();
  }
  EXPECT_EQ(seen, 200'000u);
  EXPECT_GT(st.dropped, 100'000u);
  EXPECT_EQ(st.recorded + st.dropped, seen);

  const collected_trace t = read_all(dir / "t.tether");
  EXPECT_EQ(t.end.dropped, st.dropped);
  EXPECT_EQ(t.end.recorded, st.recorded);
  EXPECT_EQ(t.file.events, st.recorded);
  // Every gap is marked where it happened, including the drops after the
  // last recorded event (the writer marks those when the recording ends).
  EXPECT_GT(t.count(kind::lost), 0u);
  EXPECT_EQ(t.file.lost_events, st.dropped);
}

// 10,000,000 events (2,500,000 lives) with the default 65,536-event ring:
// memory stays flat whatever the writer manages, every event is recorded or
// counted, and the file costs at most 16 bytes per recorded event.
TEST(ProfilerRecorder, MemoryStaysBoundedOverTenMillionEvents) {
  const auto dir = scratch_dir("memory");
  start({.path = (dir / "warm.tether").string()});
  for (int k = 0; k < 100'000; ++k) one_life("Warm");
  stop();

  const std::size_t before_kb = resident_kb();
  start({.path = (dir / "t.tether").string()});
  std::size_t peak_kb = before_kb;
  for (int k = 0; k < 2'500'000; ++k) {
    one_life("Steady");
    if (k % 250'000 == 0) peak_kb = std::max(peak_kb, resident_kb());
  }
  const stats st = stop();
  peak_kb = std::max(peak_kb, resident_kb());

  EXPECT_EQ(st.recorded + st.dropped, 10'000'000u);
  EXPECT_LT(peak_kb - before_kb, 24u * 1024) << "resident memory grew from " << before_kb << " kB to " << peak_kb
                                              << " kB";
  const auto bytes = std::filesystem::file_size(dir / "t.tether");
  ASSERT_GT(st.recorded, 0u);
  const double per_event = static_cast<double>(bytes) / static_cast<double>(st.recorded);
  EXPECT_LE(per_event, 16.0);
  RecordProperty("bytes_per_event", std::to_string(per_event));
  RecordProperty("dropped", std::to_string(st.dropped));
  std::printf("10M events: %.2f bytes/event on disk, %llu dropped, resident +%zu kB\n", per_event,
              static_cast<unsigned long long>(st.dropped), peak_kb - before_kb);
}

}  // namespace
}  // namespace tether::profiler::test
