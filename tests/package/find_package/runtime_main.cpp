// Built against an installed tether by tests/package: the runtime layer links
// and runs from the installed package alone.
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

int main() {
  tether::event_loop loop;
  int fired = 0;
  tether::set_timeout([&] { ++fired; });
  loop.run();
  return fired == 1 ? 0 : 1;
}
