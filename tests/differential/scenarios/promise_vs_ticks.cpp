// Promise reactions are microtasks: they run after every next_tick, in FIFO
// order with queue_microtask callbacks.
// differential-requires: promise
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::promise<>::resolve().then([] { trace::log("then A"); });
  tether::queue_microtask([] { trace::log("microtask B"); });
  tether::next_tick([] { trace::log("tick C"); });
  tether::promise<>::resolve().then([] {
    trace::log("then D");
    tether::next_tick([] { trace::log("tick from D"); });
    tether::queue_microtask([] { trace::log("microtask from D"); });
  });
  tether::set_immediate([] {
    trace::log("immediate");
    tether::promise<>::resolve().then([] { trace::log("then from immediate"); });
    tether::next_tick([] { trace::log("tick from immediate"); });
  });
  loop.run();
}
