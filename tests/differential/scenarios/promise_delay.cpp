// delay() is timers/promises setTimeout: a PROMISE, then the Timeout that
// resolves it (promise_resolve inside the Timeout's callback); then()
// chains on it compare in full, PROMISE events included.
// differential-requires: promise
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::delay(2ms).then([] {
    trace::log("after 2 ms");
    tether::delay(1ms).then([] { trace::log("after 1 more ms"); });
  });
  loop.run();
}
