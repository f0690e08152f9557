#pragma once
// The recorder's clock: raw ticks on the hot path, nanoseconds in the file.
//
// On x86-64 with an invariant TSC (CPUID 0x80000007 EDX bit 8: constant rate,
// never stops, synchronised across cores by the kernel) a tick is one rdtsc:
// ~10 ns here against ~25 ns for clock_gettime(CLOCK_MONOTONIC) through the
// vDSO under KVM. The writer thread maps ticks to CLOCK_MONOTONIC ns with a
// line through two (tsc, monotonic) pairs: one read when recording starts and
// one read at each writer cycle, so the slope keeps improving and the error
// stays at the jitter of reading the pair (tens of ns), whatever the run's
// length. Everywhere else a tick *is* a CLOCK_MONOTONIC nanosecond.

#include <time.h>

#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace tether::profiler::detail {

inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// True when ticks are TSC cycles (decided once, before recording starts).
inline bool tsc_usable() noexcept {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007u) {
    return false;
  }
  __get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx);
  return (edx & (1u << 8)) != 0;
#else
  return false;
#endif
}

/// Set by the recorder before the first event (always to the same value);
/// read on every event. Atomic (relaxed: a plain load) so that a thread still
/// recording while a new recording starts is not a data race.
inline std::atomic<bool> use_tsc{false};

inline std::uint64_t now_ticks() noexcept {
#if defined(__x86_64__)
  if (use_tsc.load(std::memory_order_relaxed)) [[likely]] {
    return __rdtsc();
  }
#endif
  return monotonic_ns();
}

/// Ticks -> CLOCK_MONOTONIC ns: a line through (base_ticks, base_ns) and the
/// latest pair. Used by the writer thread only.
class tick_converter {
 public:
  void start() noexcept {
    base_ticks_ = now_ticks();
    base_ns_ = monotonic_ns();
    last_ticks_ = base_ticks_;
    last_ns_ = base_ns_;
  }

  /// Re-reads the pair; call once per writer cycle.
  void refresh() noexcept {
    const std::uint64_t t = now_ticks();
    const std::uint64_t ns = monotonic_ns();
    if (t > base_ticks_ && ns > base_ns_) {
      last_ticks_ = t;
      last_ns_ = ns;
    }
  }

  std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
    if (!use_tsc.load(std::memory_order_relaxed)) {
      return ticks;
    }
    const double span_ticks = static_cast<double>(last_ticks_ - base_ticks_);
    // Until the first refresh there is no slope: assume 1 tick = 1 ns only
    // for the (sub-millisecond) wait before it; the writer refreshes first.
    const double ns_per_tick = span_ticks > 0 ? static_cast<double>(last_ns_ - base_ns_) / span_ticks : 1.0;
    const double delta = static_cast<double>(static_cast<std::int64_t>(ticks - base_ticks_)) * ns_per_tick;
    const double ns = static_cast<double>(base_ns_) + delta;
    return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns);
  }

 private:
  std::uint64_t base_ticks_ = 0;
  std::uint64_t base_ns_ = 0;
  std::uint64_t last_ticks_ = 0;
  std::uint64_t last_ns_ = 0;
};

}  // namespace tether::profiler::detail
