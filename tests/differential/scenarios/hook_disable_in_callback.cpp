// A hook disabled inside a callback misses that resource's after and
// destroy and everything until it is enabled again; then it sees the rest.
// differential: no-balance no-nesting
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] {
    trace::log("timer disables the hook");
    trace::disable();
    tether::next_tick([] { trace::log("untraced tick"); });
    tether::set_immediate([] {
      trace::log("immediate re-enables the hook");
      trace::enable();
      tether::next_tick([] { trace::log("traced tick"); });
    });
  }, 1ms);
  loop.run();
}
