// A rejection skips then() callbacks (their derived promises reject too) and
// reaches catch_; the promise catch_ returns fulfils with its result.
// differential-requires: promise
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
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::promise<int>::reject(std::make_exception_ptr(std::runtime_error("nope")))
      .then([](int x) {
        trace::log("must not run");
        return x;
      })
      .catch_([](std::exception_ptr e) {
        trace::log("caught", what(e));
        return 7;
      })
      .then([](int x) {
        trace::log("after catch got", x);
        throw std::runtime_error("thrown in then");
      })
      .catch_([](std::exception_ptr e) { trace::log("caught again", what(e)); });
  loop.run();
}
