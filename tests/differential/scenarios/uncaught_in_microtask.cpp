// A throwing queue_microtask callback: exactly one after (Node regression
// #30080), and the next microtask runs.
// DIFFERENCE "uncaught in microtask": tether calls the uncaught-exception
// handler inside the throwing microtask's scope, as for every other callback
// (event_loop.hpp); Node lets the error leave the microtask first, so its
// listener runs after the microtask's `after`, with execution id 0. The
// handler's line is a `differs` line; uncaught_in_microtask.tether.expected
// has tether's order.
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
      trace::differs("uncaught:", ex.what(), "exec=" + trace::hash(tether::execution_async_id()));
    }
  });
  tether::queue_microtask([] {
    trace::log("microtask throws");
    throw std::runtime_error("microtask error");
  });
  tether::queue_microtask([] { trace::log("next microtask runs"); });
  loop.run();
}
