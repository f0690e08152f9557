// perf_hooks: the timeline. Marks with explicit start times, measures in
// every form (between marks, from a mark plus a duration, numbers),
// get_entries sorted by start time (stable), by name and type, clear_marks
// forgetting a mark for measure (whose error names it), a later mark of the
// same name winning, detail kept.
// differential: only-output
// differential-requires: perf_hooks
#include <any>
#include <string>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>

#include "trace.hpp"

namespace {
namespace performance = tether::performance;

std::string show(const std::vector<tether::performance_entry>& v) {
  std::string s;
  for (const auto& e : v) {
    s += (s.empty() ? "" : " ") + std::string(e.entry_type) + ":" + e.name + "@" +
         trace::number(e.start_time) + "+" + trace::number(e.duration);
  }
  return s.empty() ? "(none)" : s;
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  performance::mark("x", {.start_time = 5});
  performance::mark("y", {.start_time = 2});
  const auto m = performance::measure("y-x", "y", "x");
  trace::note("measure", m.entry_type, m.name, trace::number(m.start_time), trace::number(m.duration));
  performance::measure("y+10", {.start = "y", .duration = 10.0});
  performance::measure("to-x", {.end = "x", .duration = 1.5});
  performance::measure("numbers", {.start = 0.5, .end = 4.0, .detail = std::string("d")});
  const auto d = performance::mark("with-detail", {.detail = 42, .start_time = 3});
  trace::note("detail", std::any_cast<int>(d.detail));
  performance::mark("x", {.start_time = 7});
  trace::note("all", show(performance::get_entries()));
  trace::note("by name x", show(performance::get_entries_by_name("x")));
  trace::note("by name y-x measure", show(performance::get_entries_by_name("y-x", "measure")));
  trace::note("by name y-x mark", show(performance::get_entries_by_name("y-x", "mark")));
  trace::note("by type measure", show(performance::get_entries_by_type("measure")));
  trace::note("latest x wins", trace::number(performance::measure("y-x2", "y", "x").duration));
  performance::clear_marks("y");
  try {
    performance::measure("gone", "y");
  } catch (const tether::usage_error&) {
    trace::note("error", "The \"y\" performance mark has not been set");
  }
  performance::clear_measures("y+10");
  performance::clear_marks();
  trace::note("after clear", show(performance::get_entries()));
  performance::clear_measures();
  trace::note("after clear all", show(performance::get_entries()));
  loop.run();
}
