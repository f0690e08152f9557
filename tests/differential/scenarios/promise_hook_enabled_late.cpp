// A promise created while the hook is off never gets an init; once the hook
// is on, its reactions' before/after (and the derived promises made then)
// are reported.
// differential-requires: promise
// differential: no-balance
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  tether::event_loop loop;
  auto [p, r] = tether::make_promise<int>();
  auto untraced = p.then([](int v) {
    trace::log("then created while off got", v);
    return v + 1;
  });
  tether::set_immediate([r, untraced]() mutable {
    trace::enable();
    trace::log("hook on; resolving");
    untraced.then([](int v) { trace::log("then created while on got", v); });
    r.resolve(1);
  });
  loop.run();
}
