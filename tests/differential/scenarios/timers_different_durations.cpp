// Timers fire by expiry, whatever order they were created in; equal
// durations keep creation order. (Durations differ by 50 ms: timers of
// different durations created at different moments are only ordered by
// their expiries, so a scheduling stall between two creations must not be
// able to swap them.)
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] { trace::log("104ms"); }, 104ms);
  tether::set_timeout([] { trace::log("4ms a"); }, 4ms);
  tether::set_timeout([] { trace::log("54ms"); }, 54ms);
  tether::set_timeout([] { trace::log("4ms b"); }, 4ms);
  loop.run();
}
