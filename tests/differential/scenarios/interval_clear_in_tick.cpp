// An interval cleared from a tick queued by its second run: the tick runs
// before the next timers phase, so there is no third run.
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto handle = std::make_shared<tether::timeout>();
  auto runs = std::make_shared<int>(0);
  *handle = tether::set_interval([handle, runs] {
    ++*runs;
    trace::log("interval run", *runs);
    if (*runs == 2) {
      tether::next_tick([handle] {
        trace::log("tick clears the interval");
        tether::clear_interval(*handle);
      });
    }
  }, 3ms);
  loop.run();
  trace::note("runs", *runs);
}
