// Reading traces: the threads' interleaved chunks come out in timestamp
// order, a file cut short is read up to its last whole record, and what is
// not a trace gets an error that says so.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler_test_support.hpp"

namespace tether::profiler::test {
namespace {

using format::kind;

std::string header() {
  std::string out(format::magic, sizeof format::magic);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((format::version >> (8 * i)) & 0xff));
  std::string info;
  for (std::uint64_t v : {std::uint64_t{42}, std::uint64_t{0}, std::uint64_t{10}, std::uint64_t{64}}) {
    format::put_varint(info, v);
  }
  format::put_string(info, "test clock");
  format::put_string(info, "synthetic");
  format::put_record(out, format::tag::info, info);
  return out;
}

// A chunk of before events (ids 1, 2, ...) at the given timestamps.
std::string chunk(std::uint32_t thread, std::vector<std::uint64_t> ts) {
  std::string p;
  format::put_varint(p, thread);
  format::put_varint(p, ts.front());
  format::put_varint(p, ts.size());
  std::uint64_t prev = ts.front();
  for (std::size_t i = 0; i < ts.size(); ++i) {
    format::put_varint(p, ((ts[i] - prev) << format::kind_bits) | static_cast<std::uint64_t>(kind::before));
    format::put_varint(p, format::zigzag(1));  // ids 1, 2, 3, ...: each one more than the last
    prev = ts[i];
  }
  std::string out;
  format::put_record(out, format::tag::chunk, p);
  return out;
}

std::string cycle(std::uint64_t watermark) {
  std::string p, out;
  format::put_varint(p, watermark);
  format::put_record(out, format::tag::cycle, p);
  return out;
}

TEST(ProfilerTraceReader, InterleavedThreadsComeOutInTimestampOrder) {
  const auto dir = scratch_dir("merge");
  // Pass 1 (watermark 100): thread 1 wrote first, thread 0 second; pass 2
  // brings thread 0's event stamped 95 (pushed across the pass boundary).
  std::ofstream(dir / "t.tether", std::ios::binary)
      << header() << chunk(1, {30, 60, 99}) << chunk(0, {20, 50, 80}) << cycle(100) << chunk(0, {95, 130})
      << chunk(1, {110, 140}) << cycle(150) << chunk(1, {160}) << cycle(170);
  const collected_trace t = read_all(dir / "t.tether");
  std::vector<std::pair<std::uint64_t, std::uint32_t>> seen;
  for (const auto& e : t.events) seen.emplace_back(e.ts, e.thread);
  EXPECT_THAT(seen, ::testing::ElementsAre(std::pair{20ull, 0u}, std::pair{30ull, 1u}, std::pair{50ull, 0u},
                                           std::pair{60ull, 1u}, std::pair{80ull, 0u}, std::pair{95ull, 0u},
                                           std::pair{99ull, 1u}, std::pair{110ull, 1u}, std::pair{130ull, 0u},
                                           std::pair{140ull, 1u}, std::pair{160ull, 1u}));
  EXPECT_EQ(t.file.late_events, 0u);
  EXPECT_FALSE(t.end.present);  // no end record: the program was killed
  EXPECT_EQ(t.end.recorded, 11u);
}

TEST(ProfilerTraceReader, AFileCutShortIsReadUpToItsLastWholeRecord) {
  const auto dir = scratch_dir("cut");
  const std::string whole = header() + chunk(0, {10, 20}) + cycle(30) + chunk(0, {40, 50, 60}) + cycle(70);
  std::ofstream(dir / "t.tether", std::ios::binary) << whole.substr(0, whole.size() - 5);
  const collected_trace t = read_all(dir / "t.tether");
  EXPECT_TRUE(t.file.truncated);
  EXPECT_EQ(t.events.size(), 2u);  // the second chunk is incomplete
}

TEST(ProfilerTraceReader, WhatIsNotATraceGetsAClearError) {
  const auto dir = scratch_dir("bad");
  std::ofstream(dir / "x", std::ios::binary) << "{\"traceEvents\":[]}";
  collected_trace t;
  try {
    analysis::read_trace((dir / "x").string(), t);
    ADD_FAILURE() << "no error";
  } catch (const analysis::trace_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("not a tether trace"));
  }
  EXPECT_THROW(analysis::read_trace((dir / "missing").string(), t), analysis::trace_error);
  std::string newer = header();
  newer[8] = 9;  // version 9
  std::ofstream(dir / "v9", std::ios::binary) << newer;
  EXPECT_THROW(analysis::read_trace((dir / "v9").string(), t), analysis::trace_error);
}

}  // namespace
}  // namespace tether::profiler::test
