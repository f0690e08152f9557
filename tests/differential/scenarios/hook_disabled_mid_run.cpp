// The tracing hook disabled at top level, re-enabled from an immediate
// created while it was off: nothing is reported while it is off (that
// immediate's own after is: the hook is on by then); an immediate created
// while it was off but running after it is back on is reported without an
// init (before/after only), as in Node.
// differential: no-balance
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_immediate([] { trace::log("traced immediate A"); });
  trace::disable();
  tether::next_tick([] { trace::log("untraced tick"); });
  tether::set_immediate([] {
    trace::log("immediate B, created while off, re-enables");
    trace::enable();
    tether::set_immediate([] { trace::log("traced immediate C from B"); });
    tether::next_tick([] { trace::log("traced tick from B"); });
  });
  tether::set_immediate([] { trace::log("immediate D, created while off"); });
  loop.run();
}
