// Ticks queued by a tick run before any microtask; a microtask queued by a
// tick joins the microtask queue behind the ones already there.
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::next_tick([] {
    trace::log("tick 1");
    tether::queue_microtask([] { trace::log("microtask from tick 1"); });
    tether::next_tick([] { trace::log("tick 3 from tick 1"); });
  });
  tether::next_tick([] { trace::log("tick 2"); });
  tether::queue_microtask([] { trace::log("microtask 0"); });
  loop.run();
}
