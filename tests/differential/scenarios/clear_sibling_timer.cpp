// A timer clears a later timer of the same list while the list is being
// processed: the cleared one never runs, the one after it still does.
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto victim = std::make_shared<tether::timeout>();
  tether::set_timeout([victim] {
    trace::log("first clears second");
    tether::clear_timeout(*victim);
  }, 3ms);
  *victim = tether::set_timeout([] { trace::log("second must not run"); }, 3ms);
  tether::set_timeout([] { trace::log("third"); }, 3ms);
  loop.run();
}
