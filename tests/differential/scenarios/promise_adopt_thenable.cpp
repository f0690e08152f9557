// A then() callback returning a promise: the derived promise follows it
// (settles when it does, two microtask hops later) and the next then() sees
// its value.
// DIFFERENCE "promise counting" (thenable adoption): Node's thenable job
// calls then() on the returned promise, creating one more PROMISE (trigger:
// the returned promise) in whose scope the outer promise is resolved; tether
// creates none and runs both hops in the outer promise's scope
// (promise.hpp). PROMISE events are not compared; tether's full trace is in
// promise_adopt_thenable.tether.expected.
// differential-requires: promise
// differential: ignore-types=PROMISE
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::delay(2ms)
      .then([] {
        trace::log("after 2 ms");
        return tether::delay(1ms).then([] { return 42; });
      })
      .then([](int v) { trace::log("adopted", v); });
  tether::promise<int>::resolve(1)
      .then([](int v) { return tether::promise<int>::resolve(v + 1); })
      .then([](int v) { trace::log("adopted an already fulfilled promise:", v); });
  tether::queue_microtask([] {
    trace::log("microtask 1");
    tether::queue_microtask([] {
      trace::log("microtask 2");
      tether::queue_microtask([] { trace::log("microtask 3"); });
    });
  });
  loop.run();
}
