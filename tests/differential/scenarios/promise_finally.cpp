// finally(): runs on fulfilment and on rejection and passes the outcome on,
// with the microtask hops of Node's then(v => Promise.resolve(f()).then(() =>
// v)); its own two PROMISEs are created where Node creates them.
// DIFFERENCE "promise counting" (thenable adoption, see
// promise_adopt_thenable): the handler's returned promise is adopted without
// Node's extra PROMISE, so PROMISE events are not compared.
// differential-requires: promise
// differential: ignore-types=PROMISE
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
