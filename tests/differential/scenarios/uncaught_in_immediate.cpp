// An exception escaping an immediate goes to the uncaught-exception handler
// in the immediate's context; after is emitted, the next immediate runs.
#include <exception>
#include <stdexcept>

#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  loop.on_uncaught_exception([](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      trace::log("uncaught:", ex.what());
    }
  });
  tether::set_immediate([] {
    trace::log("first throws");
    throw std::runtime_error("bang");
  });
  tether::set_immediate([] { trace::log("second runs"); });
  loop.run();
}
