// An unref'd immediate runs while something else (a 50 ms timer: long enough
// never to be due before the first check phase) keeps the loop alive; one
// that is alone does not keep the loop alive, so it never runs.
// DIFFERENCE "teardown destroy": tether destroys the never-run immediate
// when the event_loop is destroyed; Node never does.
// differential: node-undestroyed=Immediate
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_immediate([] { trace::log("unref'd immediate runs: a timer keeps the loop alive"); }).unref();
  tether::set_timeout([] {
    trace::log("timer");
    tether::immediate i = tether::set_immediate([] { trace::log("must not run"); });
    i.unref();
    trace::log("has_ref", i.has_ref());
  }, 50ms);
  loop.run();
  trace::note("loop ended");
}
