// Nested ticks form a trigger chain (each tick's trigger is the tick that
// queued it); sibling ticks share their parent as trigger.
#include <tether/event_loop.hpp>

#include "trace.hpp"

namespace {
void chain(int depth) {
  trace::log("depth", depth);
  if (depth < 4) {
    tether::next_tick([depth] { chain(depth + 1); });
  }
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::next_tick([] { chain(1); });
  tether::next_tick([] {
    trace::log("parent");
    tether::next_tick([] { trace::log("sibling a"); });
    tether::next_tick([] { trace::log("sibling b"); });
  });
  loop.run();
}
