// perf_hooks: observe({type, buffered}) delivers what the timeline already
// holds, in the Immediate queued by observe(); take_records() empties the
// buffer but the callback is still called, with an empty list (Node's);
// an observer that disconnects is not called; one that disconnects itself
// in its callback misses what it marks there, the others get it.
// (tether also honours buffered with entry_types, which Node ignores:
// not compared here, tests/runtime/perf_hooks_test.cpp pins it.)
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
  return s.empty() ? "(none)" : s;
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  namespace performance = tether::performance;
  tether::performance_observer buffered([](const auto& list, auto&) { trace::log("buffered", names(list)); });
  tether::performance_observer taken([](const auto& list, auto&) { trace::log("taken", names(list)); });
  tether::performance_observer gone([](const auto& list, auto&) { trace::log("gone", names(list)); });
  tether::performance_observer self([](const auto& list, tether::performance_observer& me) {
    trace::log("self", names(list));
    me.disconnect();
    tether::performance::mark("from-self");
  });
  tether::set_timeout([&] {
    performance::mark("early", {.start_time = 1});
    performance::measure("early-measure", {.start = 1.0, .end = 2.0});
    buffered.observe({.type = "mark", .buffered = true});
    taken.observe({.type = "mark"});
    gone.observe({.type = "measure"});
    self.observe({.type = "mark"});
    performance::mark("late", {.start_time = 0.5});
    performance::measure("late-measure", {.start = 0.25, .end = 3.0});
    trace::log("taken now", taken.take_records().size());
    gone.disconnect();
    tether::set_immediate([] { trace::log("immediate"); });
  });
  loop.run();
}
