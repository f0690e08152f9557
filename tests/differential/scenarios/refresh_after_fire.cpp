// DIFFERENCE "refresh after fire": refresh() on a timeout that has already
// fired does nothing in tether (timers.hpp); Node re-arms it, and the timer
// then runs again after its destroy was already emitted (before/after after
// destroy). Only the callback output is compared; tether's own full trace is
// in refresh_after_fire.tether.expected.
// differential: only-output skip-checks=node
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto runs = std::make_shared<int>(0);
  tether::timeout a = tether::set_timeout([runs] {
    ++*runs;
    if (*runs == 1) {
      trace::log("A");
    } else {
      trace::differs("A runs again", *runs);
    }
  }, 2ms);
  tether::set_timeout([a]() mutable {
    trace::log("refresh the fired A");
    a.refresh();
  }, 5ms);
  loop.run();
  trace::differs("A ran", *runs, "times");
}
