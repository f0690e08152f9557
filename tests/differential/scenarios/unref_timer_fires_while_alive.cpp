// An unref'd timer still fires while something else keeps the loop alive;
// unref then ref makes a timer keep the loop alive again.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::timeout u = tether::set_timeout([] { trace::log("unref'd 2ms"); }, 2ms);
  u.unref();
  tether::timeout r = tether::set_timeout([] { trace::log("re-ref'd 6ms"); }, 6ms);
  r.unref();
  r.ref();
  trace::log("has_ref", u.has_ref(), r.has_ref());
  loop.run();
}
