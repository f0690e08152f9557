// perf_hooks: timerify wraps a function; each call that returns makes a
// "function" entry named after it, for observers of "function" only (not in
// the timeline); a call that throws makes none; the wrapper returns what the
// function returns. The observer runs in its Immediate.
// differential-requires: perf_hooks
#include <stdexcept>
#include <string>

#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  namespace performance = tether::performance;
  tether::performance_observer obs([](const auto& list, auto&) {
    std::string s;
    for (const auto& e : list.get_entries()) {
      s += (s.empty() ? "" : ",") + std::string(e.entry_type) + ":" + e.name;
    }
    trace::log("observer", s);
  });
  tether::set_timeout([&] {
    obs.observe({.entry_types = {"function"}});
    auto square = performance::timerify([](int x) { return x * x; }, "square");
    auto fails = performance::timerify([]() -> int { throw std::runtime_error("no"); }, "fails");
    trace::log("square", square(12));
    try {
      fails();
    } catch (const std::runtime_error&) {
      trace::log("fails threw");
    }
    trace::log("in timeline", performance::get_entries_by_type("function").size());
    tether::set_immediate([] { trace::log("immediate"); });
  });
  loop.run();
}
