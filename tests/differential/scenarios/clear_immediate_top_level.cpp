// An immediate cleared at top level: init, then nothing but its destroy; the
// loop does not wait for it.
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::immediate i = tether::set_immediate([] { trace::log("must not run"); });
  tether::set_immediate([] { trace::log("runs"); });
  tether::clear_immediate(i);
  tether::clear_immediate(i);
  loop.run();
}
