// docs/perf_hooks.md: the loop's delay histogram and utilization.
#include <chrono>

#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

using namespace std::chrono_literals;
namespace performance = tether::performance;

int main() {
  tether::event_loop loop;
  auto delay = tether::monitor_event_loop_delay({.resolution = 10ms});
  delay.enable();
  performance::event_loop_utilization_result busy{};
  tether::set_timeout([&] {
    const auto start = performance::event_loop_utilization();
    const auto until = std::chrono::steady_clock::now() + 50ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    busy = performance::event_loop_utilization(start);   // ~1: all active
  }, 20ms);
  tether::set_timeout([] {}, 120ms);
  loop.run();
  delay.disable();
  // A ~60 ms sample (the busy block plus the rest of its interval), in ns.
  return busy.utilization > 0.9 && delay.max() >= 50'000'000 ? 0 : 1;
}
