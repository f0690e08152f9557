// finally(): runs on fulfilment and on rejection, passes the outcome on,
// and creates its PROMISEs exactly where Node does (compared in full).
// differential-requires: promise
#include <exception>
#include <stdexcept>

#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::promise<int>::resolve(5)
      .finally([] { trace::log("finally after fulfilment"); })
      .then([](int v) { trace::log("value passed through", v); });
  tether::promise<int>::reject(std::make_exception_ptr(std::runtime_error("bad")))
      .finally([] { trace::log("finally after rejection"); })
      .catch_([](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          trace::log("rejection passed through:", ex.what());
        }
        return 0;
      });
  loop.run();
}
