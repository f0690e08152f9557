// Top level: ticks, then microtasks, then the first check phase
// (immediates), then a 50 ms timer. (A 0 ms timer against an immediate at
// top level is unordered in Node itself, so the timer here is long enough
// that no scheduling delay can make it due in the first loop turn.)
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] { trace::log("timeout 50ms"); }, 50ms);
  tether::set_immediate([] { trace::log("immediate"); });
  tether::queue_microtask([] { trace::log("microtask"); });
  tether::next_tick([] { trace::log("tick"); });
  trace::log("main");
  loop.run();
}
