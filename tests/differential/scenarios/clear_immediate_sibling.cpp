// An immediate clears a later immediate of the same batch (it never runs)
// and one it scheduled itself for the next turn.
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  auto victim = std::make_shared<tether::immediate>();
  tether::set_immediate([victim] {
    trace::log("first clears second");
    tether::clear_immediate(*victim);
    tether::immediate next = tether::set_immediate([] { trace::log("next turn must not run"); });
    tether::set_immediate([] { trace::log("next turn runs"); });
    tether::clear_immediate(next);
  });
  *victim = tether::set_immediate([] { trace::log("second must not run"); });
  tether::set_immediate([] { trace::log("third"); });
  loop.run();
}
