// One Timeout resource for the whole interval; each run has its own
// before/after; cleared inside its own third run it runs no more.
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
    trace::log("interval run", *runs, "own id", trace::id{handle->id()});
    if (*runs == 3) {
      tether::clear_interval(*handle);
      trace::log("cleared");
    }
  }, 2ms);
  loop.run();
  trace::note("runs", *runs);
  handle.reset();  // the lambda holds a copy: break the cycle
}
