// An unref'd timer does not keep the loop alive: the program ends without
// running it.
// DIFFERENCE "teardown destroy": tether emits destroy for work that never ran
// when the event_loop is destroyed; Node never destroys such a Timeout.
// differential: node-undestroyed=Timeout
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::timeout t = tether::set_timeout([] { trace::log("must not run"); }, 500ms);
  t.unref();
  trace::log("has_ref", t.has_ref());
  tether::set_immediate([] { trace::log("immediate"); });
  loop.run();
  trace::note("loop ended");
}
