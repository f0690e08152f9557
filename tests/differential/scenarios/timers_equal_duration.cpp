// Timers of equal duration fire in the order they were created, and the
// ticks and microtasks queued by one run before the next timer.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  for (int i = 1; i <= 4; ++i) {
    tether::set_timeout([i] {
      trace::log("timeout", i);
      tether::next_tick([i] { trace::log("tick from", i); });
      tether::queue_microtask([i] { trace::log("microtask from", i); });
    }, 5ms);
  }
  loop.run();
}
