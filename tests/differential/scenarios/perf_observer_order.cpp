// perf_hooks: a performance_observer's delivery against ticks, microtasks,
// immediates and timers (../shared/reference/node-perf-hooks-workers.md).
// The first mark queues the observer's Immediate, so the observer runs in
// the check phase before the immediate queued after that mark, with every
// entry buffered until then in one list (sorted by start time). Started
// from a timer so the phases are deterministic. (An immediate queued by the
// observer's callback would race timeout0 in the next turn: not here; a
// mark made in an observer's callback is in perf_observer_buffered.)
// differential-requires: perf_hooks
#include <string>

#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

namespace {
std::string names(const tether::performance_observer_entry_list& list) {
  std::string s;
  for (const auto& e : list.get_entries()) {
    s += (s.empty() ? "" : ",") + std::string(e.entry_type) + ":" + e.name;
  }
  return s;
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::performance_observer obs([&](const auto& list, tether::performance_observer&) {
    trace::log("observer", names(list));
  });
  tether::set_timeout([&] {
    obs.observe({.entry_types = {"mark", "measure"}});
    tether::performance::mark("a");
    tether::next_tick([] { trace::log("tick"); });
    tether::queue_microtask([] { trace::log("microtask"); });
    tether::set_immediate([] { trace::log("immediate"); });
    tether::set_timeout([] { trace::log("timeout0"); });
    tether::performance::measure("a-now", "a");
    tether::performance::mark("b");
    trace::log("sync end");
  });
  loop.run();
}
