// A callback that throws out of run_in_async_scope: after is still emitted,
// the exception reaches the caller and the ids are restored.
#include <stdexcept>

#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_immediate([] {
    tether::async_resource r("Thrower");
    try {
      r.run_in_async_scope([] {
        trace::log("about to throw");
        throw std::runtime_error("oops");
      });
    } catch (const std::exception& e) {
      trace::log("caught", e.what());
    }
    r.run_in_async_scope([] { trace::log("runs again"); });
    r.emit_destroy();
  });
  loop.run();
}
