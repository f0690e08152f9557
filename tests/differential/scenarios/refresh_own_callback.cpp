// refresh() from a timeout's own callback re-arms it: the same resource runs
// again (a second before/after pair, one destroy at the end).
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto handle = std::make_shared<tether::timeout>();
  auto runs = std::make_shared<int>(0);
  *handle = tether::set_timeout([handle, runs] {
    ++*runs;
    trace::log("run", *runs);
    if (*runs < 3) {
      handle->refresh();
    }
  }, 2ms);
  loop.run();
  trace::note("runs", *runs);
}
