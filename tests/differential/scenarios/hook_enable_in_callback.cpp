// A hook enabled inside a callback sees that resource's after (and
// destroy) but not its init or before; everything created after is
// reported in full.
// differential: no-balance
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  tether::event_loop loop;
  tether::set_immediate([] {
    trace::log("immediate before the hook is on");
    trace::enable();
    tether::next_tick([] { trace::log("tick"); });
    tether::set_timeout([] { trace::log("timeout"); }, 1ms);
  });
  loop.run();
}
