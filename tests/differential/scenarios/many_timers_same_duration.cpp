// Many timers of one duration form one list: they fire in creation order,
// each followed by its microtask; a timer clears the next-but-one, which
// then never runs, while the list is being processed.
#include <memory>
#include <vector>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto handles = std::make_shared<std::vector<tether::timeout>>(12);
  for (std::size_t i = 0; i < handles->size(); ++i) {
    (*handles)[i] = tether::set_timeout([handles, i] {
      trace::log("timer", i);
      tether::queue_microtask([i] { trace::log("microtask of", i); });
      if (i % 3 == 0 && i + 2 < handles->size()) {
        tether::clear_timeout((*handles)[i + 2]);
      }
    }, 3ms);
  }
  loop.run();
  handles->clear();  // the callbacks hold the vector: break the cycle
}
