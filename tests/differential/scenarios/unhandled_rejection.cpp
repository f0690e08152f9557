// A rejection nobody handles is reported once the microtask queue has
// drained (Node's process.on('unhandledRejection')); one handled in the same
// microtask drain is not; the loop goes on.
// differential-requires: promise
#include <exception>
#include <stdexcept>

#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

namespace {
const char* what(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  loop.on_unhandled_rejection([](std::exception_ptr e) { trace::log("unhandled:", what(e)); });
  tether::promise<>::reject(std::make_exception_ptr(std::runtime_error("nobody cares")));
  auto late = tether::promise<>::reject(std::make_exception_ptr(std::runtime_error("handled in a microtask")));
  tether::queue_microtask([late] {
    late.catch_([](std::exception_ptr e) { trace::log("late catch:", what(e)); });
  });
  tether::set_immediate([] { trace::log("immediate still runs"); });
  loop.run();
}
