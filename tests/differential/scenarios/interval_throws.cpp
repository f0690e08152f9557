// An interval whose first run throws: the handler catches it, that run's
// after is emitted and the interval keeps running (Node's
// test-timers.setInterval: before 2, after 2, destroy 1).
#include <exception>
#include <memory>
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
  auto handle = std::make_shared<tether::timeout>();
  auto runs = std::make_shared<int>(0);
  *handle = tether::set_interval([handle, runs] {
    ++*runs;
    trace::log("run", *runs);
    if (*runs == 1) {
      throw std::runtime_error("interval error");
    }
    tether::clear_interval(*handle);
  }, 2ms);
  loop.run();
}
