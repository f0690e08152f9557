// An exception escaping a timer callback goes to the uncaught-exception
// handler (Node: process.on('uncaughtException')), which runs in the
// throwing callback's context; the timer's after is still emitted and the
// next timer of the same list runs.
#include <exception>
#include <stdexcept>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

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
  tether::set_timeout([] {
    trace::log("first throws");
    throw std::runtime_error("boom");
  }, 2ms);
  tether::set_timeout([] { trace::log("second runs"); }, 2ms);
  loop.run();
}
