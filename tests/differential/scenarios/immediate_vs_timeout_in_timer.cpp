// From a timer callback, an immediate always runs before a 0 ms timeout
// scheduled at the same time: the check phase comes before the next timers
// phase.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] {
    trace::log("outer timeout");
    tether::set_timeout([] { trace::log("timeout 0"); });
    tether::set_immediate([] { trace::log("immediate"); });
    tether::set_timeout([] { trace::log("timeout 1"); }, 1ms);
    tether::set_immediate([] { trace::log("immediate 2"); });
  }, 2ms);
  loop.run();
}
