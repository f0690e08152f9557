// An uncaught exception from an event-loop callback: run() rethrows it, main
// does not catch it, std::terminate ends the program. The trace must still
// be complete, with the exception's message in its end record.

#include <chrono>
#include <stdexcept>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

int main() {
  tether::event_loop loop;
  tether::set_timeout([] { tether::set_immediate([] { throw std::runtime_error("boom from a callback"); }); },
                      std::chrono::milliseconds(1));
  loop.run();
  return 0;
}
