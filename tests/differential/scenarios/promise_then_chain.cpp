// A then() chain: every derived promise is a PROMISE with the parent as
// trigger; each callback runs as a microtask inside the derived promise's
// before/after (execution id = derived, trigger = parent); promise_resolve
// fires when each settles. Ticks queued by a callback run after the
// microtask queue is empty.
// differential-requires: promise
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::promise<int>::resolve(1)
      .then([](int x) {
        trace::log("first then got", x);
        tether::next_tick([] { trace::log("tick from first then"); });
        return x + 1;
      })
      .then([](int x) {
        trace::log("second then got", x);
        return x * 10;
      })
      .then([](int x) { trace::log("third then got", x); });
  trace::log("main done");
  loop.run();
}
