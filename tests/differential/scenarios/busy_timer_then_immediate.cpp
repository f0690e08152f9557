// A timer callback that starts a 1 ms timeout and an immediate, then stays
// busy for 5 ms and starts another timer: the immediate still runs first
// (check phase), the overdue timeout in the next timers phase. (tether once
// re-ran its timers phase at once for the overdue timeout.)
#include <chrono>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

namespace {
void busy_wait(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] {
    trace::log("outer timer");
    tether::set_timeout([] { trace::log("1 ms timeout, overdue"); }, 1ms);
    tether::set_immediate([] { trace::log("immediate"); });
    busy_wait(5ms);
    tether::set_timeout([] { trace::log("30 ms timeout"); }, 30ms);
  }, 1ms);
  loop.run();
}
