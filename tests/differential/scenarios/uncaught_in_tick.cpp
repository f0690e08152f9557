// An exception escaping a next_tick callback goes to the uncaught-exception
// handler in the tick's context, and the tick's after is emitted.
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
  tether::next_tick([] {
    trace::log("tick throws");
    throw std::runtime_error("tick error");
  });
  tether::next_tick([] { trace::log("next tick runs"); });
  loop.run();
}
