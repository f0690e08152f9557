// make_promise (JS `new Promise(executor)`): the PROMISE's trigger is the
// creating context; resolving it from a timer fires promise_resolve inside
// the timer's callback; then() callbacks registered at the top level and from an
// immediate run as microtasks right after that callback.
// differential-requires: promise
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto [p, r] = tether::make_promise<int>();
  p.then([](int v) { trace::log("then registered early got", v); });
  tether::set_immediate([p, r] {
    trace::log("immediate registers a then");
    p.then([](int v) { trace::log("then registered late got", v); });
    tether::set_timeout([r]() mutable {
      trace::log("timer resolves");
      r.resolve(9);
      r.resolve(10);  // ignored: already settled
      trace::log("timer done");
    }, 2ms);
  });
  loop.run();
}
