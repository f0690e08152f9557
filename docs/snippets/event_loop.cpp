// docs/event_loop.md: one loop per thread, and Node's order after a callback:
// every next_tick, then every microtask, then the loop's next phase.
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

int main() {
  tether::event_loop loop;  // this thread's loop from now on
  std::string order;
  tether::set_immediate([&] { order += " immediate"; });
  tether::queue_microtask([&] {
    order += " microtask";
    tether::next_tick([&] { order += " tick-from-microtask"; });
  });
  tether::next_tick([&] { order += " tick"; });
  order += "main";
  loop.run();  // ticks and microtasks queued before run() go first, as after Node's main script
  std::printf("%s\n", order.c_str());

  // An exception escaping a callback: run() rethrows it (Node would exit),
  // unless on_uncaught_exception takes it. The loop stays usable.
  tether::set_timeout([] { throw std::runtime_error("boom"); });
  std::string caught;
  try {
    loop.run();
  } catch (const std::runtime_error& e) {
    caught = e.what();
  }
  return order == "main tick microtask tick-from-microtask immediate" && caught == "boom" ? 0 : 1;
}
