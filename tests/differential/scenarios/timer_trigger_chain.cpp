// A timer created in a timer's callback has that timer as trigger; the
// callback runs with the timer's id as execution id.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] {
    trace::log("level 1");
    tether::set_timeout([] {
      trace::log("level 2");
      tether::set_timeout([] { trace::log("level 3"); }, 1ms);
    }, 1ms);
  }, 1ms);
  loop.run();
}
