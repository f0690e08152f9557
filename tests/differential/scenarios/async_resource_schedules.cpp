// Work scheduled inside run_in_async_scope has the resource as trigger, and
// its callbacks see it as trigger_async_id.
#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  tether::async_resource req("Request");
  req.run_in_async_scope([] {
    tether::next_tick([] { trace::log("tick from request"); });
    tether::queue_microtask([] { trace::log("microtask from request"); });
    tether::set_immediate([] {
      trace::log("immediate from request");
      tether::set_timeout([] { trace::log("timeout from that immediate"); }, 1ms);
    });
  });
  req.emit_destroy();
  loop.run();
}
