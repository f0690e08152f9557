// An exception escaping an async function rejects its promise: a try/catch
// around the co_await catches it, and so does catch_() on the returned
// promise; code after a caught rejection goes on.
// DIFFERENCE "promise counting" (see coroutines_await_each_other).
// differential-requires: promise
// differential: ignore-types=PROMISE log-ids=off
#include <exception>
#include <stdexcept>

#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

namespace {
const char* what(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

tether::promise<int> fails(bool after_await) {
  if (after_await) {
    co_await tether::promise<>::resolve();
  }
  throw std::runtime_error(after_await ? "late failure" : "early failure");
  co_return 0;
}

tether::promise<> caller() {
  try {
    co_await fails(false);
    trace::log("must not run");
  } catch (const std::exception& e) {
    trace::log("caller caught", e.what());
  }
  try {
    co_await fails(true);
  } catch (const std::exception& e) {
    trace::log("caller caught", e.what());
  }
  trace::log("caller goes on");
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  caller().then([] { trace::log("caller fulfilled"); });
  fails(true).catch_([](std::exception_ptr e) {
    trace::log("catch_ got", what(e));
    return 0;
  });
  loop.run();
}
