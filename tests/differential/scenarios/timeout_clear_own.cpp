// clear_timeout on a timeout from inside its own callback changes nothing:
// it has fired; it still gets exactly one destroy.
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto handle = std::make_shared<tether::timeout>();
  *handle = tether::set_timeout([handle] {
    trace::log("fired");
    tether::clear_timeout(*handle);
    tether::set_immediate([] { trace::log("immediate after clear"); });
  }, 1ms);
  loop.run();
}
