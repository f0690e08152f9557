// docs/perf_hooks.md: when an observer's callback runs, against ticks, microtasks and immediates.
#include <string>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>
#include <tether/timers.hpp>

namespace performance = tether::performance;

int main() {
  tether::event_loop loop;
  std::vector<std::string> order;
  tether::performance_observer obs([&](const auto& list, auto&) {
    order.push_back("observer:" + std::to_string(list.get_entries().size()));
  });
  tether::set_timeout([&] {
    obs.observe({.entry_types = {"mark", "measure"}});
    performance::mark("a");                        // queues the observer's Immediate
    tether::next_tick([&] { order.push_back("tick"); });
    tether::queue_microtask([&] { order.push_back("microtask"); });
    tether::set_immediate([&] { order.push_back("immediate"); });
    performance::measure("a-now", "a");
    performance::mark("b");
    order.push_back("sync end");
  });
  loop.run();
  // Node prints the same order (tests/differential/scenarios/perf_observer_order).
  return order == std::vector<std::string>{"sync end", "tick", "microtask", "observer:3", "immediate"}
             ? 0
             : 1;
}
