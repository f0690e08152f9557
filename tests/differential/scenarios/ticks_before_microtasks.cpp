// Top level: every next_tick runs before any microtask, whatever the order
// they were queued in; ticks and microtasks each run in FIFO order.
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::queue_microtask([] { trace::log("microtask 1"); });
  tether::next_tick([] { trace::log("tick 1"); });
  tether::queue_microtask([] { trace::log("microtask 2"); });
  tether::next_tick([] { trace::log("tick 2"); });
  trace::log("main done");
  loop.run();
}
