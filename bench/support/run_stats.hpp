#pragma once
// Shared by the runtime benchmarks and their raw libuv / plain C++ floors:
// how many ops one run performs, and the minor page faults it took.
//
// Page faults are reported because on the VMs these targets were set on a
// fresh page costs ~10 us, more than a thousand scheduled callbacks: a queue
// that allocates as it grows instead of reusing its nodes shows up here first.

#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace tether_bench {

/// Operations per run of every ratio-table workload (bench/compare.py pairs
/// them with bench/node/runtime_*.js, which run the same count).
inline constexpr benchmark::IterationCount ops_per_run = 1'000'000;

/// Timers are scheduled and fired in batches of this many (Node's own
/// benchmark/timers/timers-timeout-pooled.js does the same).
inline constexpr int timer_batch = 1000;

inline std::int64_t minor_faults() noexcept {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// Counts the minor page faults (getrusage ru_minflt) from construction to
/// report(): set up before the loop is built, so the loop's own first pages
/// are counted too. The total per run lands in the JSON output as the
/// "minflt" counter.
class page_faults {
 public:
  page_faults() noexcept : start_(minor_faults()) {}
  void report(benchmark::State& state) const {
    state.counters["minflt"] = static_cast<double>(minor_faults() - start_);
  }

 private:
  std::int64_t start_;
};

}  // namespace tether_bench
