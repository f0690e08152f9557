// perf_hooks: create_histogram on HdrHistogram's log-linear buckets gives
// Node's numbers to the bucket: min, max, mean, stddev, count, exceeds and
// percentiles, for exact small values, large ones (3 significant figures),
// a custom layout with a value beyond its range, 1 figure over a wide
// range, add(); record(0) is refused (Node: ERR_OUT_OF_RANGE).
// differential: only-output
// differential-requires: perf_hooks
#include <cstdint>
#include <string>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>

#include "trace.hpp"

namespace {
void show(const char* what, const tether::histogram& h) {
  std::string p;
  for (double q : {25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0}) {
    p += " " + std::to_string(h.percentile(q));
  }
  trace::note(what, h.min(), h.max(), trace::number(h.mean()), trace::number(h.stddev()),
              h.count(), h.exceeds(), p.substr(1));
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  auto a = tether::create_histogram();
  for (int i = 1; i <= 1000; ++i) {
    a.record(i);
  }
  show("1..1000", a);
  auto b = tether::create_histogram();
  for (std::int64_t v : {std::int64_t{1'000'000}, std::int64_t{123'456'789}, std::int64_t{7},
                         std::int64_t{2048}, std::int64_t{2049}, std::int64_t{4095},
                         std::int64_t{4096}, std::int64_t{1'000'000'000}, std::int64_t{1} << 52}) {
    b.record(v);
  }
  show("large", b);
  auto c = tether::create_histogram({.lowest = 1000, .highest = 1'000'000'000, .figures = 2});
  for (std::int64_t v : {1000, 1500, 999'999, 500'000'000, 2'000'000'000}) {
    c.record(v);
  }
  show("custom", c);
  auto d = tether::create_histogram({.figures = 1});
  for (std::int64_t i = 1; i <= 100'000; i += 7) {
    d.record(i * i);
  }
  show("squares", d);
  auto e = tether::create_histogram();
  e.record(10);
  e.record(20);
  auto f = tether::create_histogram();
  f.record(30);
  e.add(f);
  show("added", e);
  auto empty = tether::create_histogram();
  trace::note("empty", empty.min(), empty.max(), trace::number(empty.mean()), empty.count());
  try {
    e.record(0);
  } catch (const tether::usage_error&) {
    trace::note("record(0)", "out of range");
  }
  loop.run();
}
