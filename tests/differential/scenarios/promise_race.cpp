// race(): settles as the first input settles, fulfilment or rejection;
// later settlements change nothing. all_settled() waits for every input and
// reports each outcome in input order.
// DIFFERENCE "promise counting" (see promise_all).
// differential-requires: promise
// differential: ignore-types=PROMISE log-ids=off
#include <exception>
#include <stdexcept>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  auto [a, ra] = tether::make_promise<int>();
  auto [b, rb] = tether::make_promise<int>();
  auto [c, rc] = tether::make_promise<int>();
  tether::race(std::vector<tether::promise<int>>{a, b}).then([](int v) { trace::log("race 1 won by", v); });
  tether::race(std::vector<tether::promise<int>>{a, c})
      .then([](int v) { trace::log("must not run", v); })
      .catch_([](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          trace::log("race 2 rejected:", ex.what());
        }
      });
  tether::all_settled(std::vector<tether::promise<int>>{a, c}).then([](std::vector<tether::settled<int>> r) {
    trace::log("all_settled:", r[0].fulfilled ? "fulfilled" : "rejected", *r[0].value,
               r[1].fulfilled ? "fulfilled" : "rejected");
  });
  tether::set_immediate([=]() mutable {
    trace::log("resolve b, reject c");
    rb.resolve(2);
    rc.reject(std::make_exception_ptr(std::runtime_error("fast failure")));
    tether::set_immediate([=]() mutable {
      trace::log("resolve a");
      ra.resolve(1);
    });
  });
  loop.run();
}
