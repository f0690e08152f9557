// A timeout cleared before it fires never runs (no before/after); clearing it
// again, or clearing an empty handle, does nothing.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::timeout a = tether::set_timeout([] { trace::log("a must not run"); }, 2ms);
  tether::timeout b = tether::set_timeout([] { trace::log("b must not run"); }, 4ms);
  tether::set_timeout([] { trace::log("c runs"); }, 4ms);
  tether::clear_timeout(a);
  tether::clear_timeout(a);
  tether::timeout empty;
  tether::clear_timeout(empty);
  tether::next_tick([b]() mutable {
    trace::log("tick clears b");
    tether::clear_timeout(b);
  });
  loop.run();
}
