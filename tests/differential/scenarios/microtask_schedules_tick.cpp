// A next_tick queued by a microtask waits until the whole microtask queue
// (including microtasks queued meanwhile) is empty; then the tick runs, and
// a microtask it queues runs after it.
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::queue_microtask([] {
    trace::log("microtask A");
    tether::next_tick([] {
      trace::log("tick from A");
      tether::queue_microtask([] { trace::log("microtask from tick"); });
    });
    tether::queue_microtask([] { trace::log("microtask B from A"); });
  });
  tether::queue_microtask([] { trace::log("microtask C"); });
  loop.run();
}
