// An immediate scheduled by an immediate runs on the loop's next turn, after
// the rest of the current batch; ticks and microtasks run between
// immediates.
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_immediate([] {
    trace::log("immediate A");
    tether::set_immediate([] {
      trace::log("immediate C from A");
      tether::set_immediate([] { trace::log("immediate D from C"); });
    });
    tether::next_tick([] { trace::log("tick from A"); });
    tether::queue_microtask([] { trace::log("microtask from A"); });
  });
  tether::set_immediate([] { trace::log("immediate B"); });
  loop.run();
}
