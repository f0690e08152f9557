// Node's rule: a delay below 1 ms is 1 ms, so 0 ms and 1 ms timers share one
// list and fire in creation order.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] { trace::log("a 1ms"); }, 1ms);
  tether::set_timeout([] { trace::log("b 0ms"); }, 0ms);
  tether::set_timeout([] { trace::log("c 1ms"); }, 1ms);
  tether::set_timeout([] { trace::log("d default"); });
  tether::set_timeout([] { trace::log("e negative"); }, -5ms);
  loop.run();
}
