// refresh() moves a pending timer to the end of its duration's list: B,
// created after A, fires first once A was refreshed.
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::timeout a = tether::set_timeout([] { trace::log("A"); }, 4ms);
  tether::set_timeout([] { trace::log("B"); }, 4ms);
  a.refresh();
  loop.run();
}
