// docs/perf_hooks.md: marks and the forms of measure.
#include <string>

#include <tether/perf_hooks.hpp>

namespace performance = tether::performance;

int main() {
  performance::mark("parse", {.start_time = 10});
  performance::mark("render", {.detail = std::string("frame 7"), .start_time = 25});
  const auto between = performance::measure("parse-render", "parse", "render");   // 10 + 15
  const auto budget = performance::measure("budget", {.start = "parse", .duration = 16.0});
  const auto numbers = performance::measure("window", {.start = 1.0, .end = 3.5});
  const bool ok = between.start_time == 10 && between.duration == 15 && budget.duration == 16 &&
                  numbers.duration == 2.5 && performance::get_entries().size() == 5;
  performance::clear_marks();
  performance::clear_measures();
  return ok ? 0 : 1;
}
