// docs/perf_hooks.md: a performance_observer receives a measure of a timer.
#include <chrono>
#include <cstdio>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

namespace performance = tether::performance;

int main() {
  tether::event_loop loop;
  int seen = 0;
  tether::performance_observer obs([&](const tether::performance_observer_entry_list& list,
                                       tether::performance_observer& self) {
    for (const tether::performance_entry& e : list.get_entries()) {
      std::printf("%s took %.1f ms\n", e.name.c_str(), e.duration);
      seen += e.name == "a 20 ms timer" && e.duration > 0 ? 1 : 0;
    }
    self.disconnect();
  });
  obs.observe({.entry_types = {"measure"}});
  performance::mark("start");
  tether::set_timeout([] { performance::measure("a 20 ms timer", "start"); },
                      std::chrono::milliseconds(20));
  loop.run();
  return seen == 1 ? 0 : 1;
}
