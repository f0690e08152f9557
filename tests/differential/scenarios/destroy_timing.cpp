// When destroy fires. Compared with Node without destroy lines (the default):
// DIFFERENCE "destroy timing": tether emits destroy synchronously, right
// after a resource's last after (ticks, microtasks, immediates, timeouts),
// at clear_timeout/clear_immediate for one that never ran, after the
// clearing run's after for an interval cleared from its own callback, and at
// emit_destroy() for an async_resource; Node queues every destroy and
// delivers the batch later from the check phase. The exact tether order is
// pinned in destroy_timing.tether.expected.
#include <memory>

#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::timeout never = tether::set_timeout([] { trace::log("never"); }, 5ms);
  tether::immediate never_either = tether::set_immediate([] { trace::log("never either"); });
  tether::clear_timeout(never);
  tether::clear_immediate(never_either);
  trace::log("cleared both");
  tether::next_tick([] { trace::log("tick"); });
  tether::queue_microtask([] { trace::log("microtask"); });
  tether::set_immediate([] {
    trace::log("immediate");
    tether::async_resource r("Job");
    r.run_in_async_scope([] { trace::log("job"); });
    trace::log("job ran, destroy next");
    r.emit_destroy();
    trace::log("job destroyed");
    auto handle = std::make_shared<tether::timeout>();
    auto runs = std::make_shared<int>(0);
    *handle = tether::set_interval([handle, runs] {
      trace::log("interval run", ++*runs);
      if (*runs == 2) {
        tether::clear_interval(*handle);
        trace::log("cleared in its own run");
      }
    }, 1ms);
  });
  loop.run();
}
