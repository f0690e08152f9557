// bind(): a member bind runs the function inside that resource; the static
// bind makes a new resource of the given type, created (and capturing the
// trigger) where bind is called.
// DIFFERENCE "bound resource destroy": the static bind's resource is
// destroyed with its last copy in tether; Node leaves it to the garbage
// collector, so Node never reports its destroy here.
// differential: node-undestroyed=Bound
#include <functional>

#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::async_resource owner("Owner");
  auto in_owner = owner.bind([](int x) { trace::log("in owner with", x); });
  std::function<void()> bound;
  tether::set_immediate([&] {
    trace::log("immediate binds");
    bound = tether::async_resource::bind([] { trace::log("in bound"); }, "Bound");
    in_owner(1);
  });
  tether::set_immediate([&] {
    trace::log("second immediate calls both");
    bound();
    in_owner(2);
    bound = nullptr;
    owner.emit_destroy();
  });
  loop.run();
}
