// all(): fulfils with every value in input order once all fulfilled (here
// settled in reverse order, one immediate apart); rejects with the first
// rejection, ignoring later settlements; an empty all() fulfils at once.
// DIFFERENCE "promise counting": Node's Promise.all makes a derived PROMISE
// per element (x.then(...)); tether registers element reactions directly
// (promise.hpp), so PROMISE events and execution ids are not compared.
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
  auto [p1, r1] = tether::make_promise<int>();
  auto [p2, r2] = tether::make_promise<int>();
  auto [p3, r3] = tether::make_promise<int>();
  auto [p4, r4] = tether::make_promise<int>();
  auto [p5, r5] = tether::make_promise<int>();
  tether::all(std::vector<tether::promise<int>>{p1, p2, p3}).then([](std::vector<int> v) {
    trace::log("all got", v[0], v[1], v[2]);
  });
  tether::all(std::vector<tether::promise<int>>{p4, p5}).catch_([](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      trace::log("all rejected:", ex.what());
    }
    return std::vector<int>{};
  });
  tether::all(std::vector<tether::promise<int>>{}).then([](std::vector<int> v) {
    trace::log("empty all got", v.size());
  });
  tether::set_immediate([=]() mutable {
    trace::log("resolve 3, reject 5");
    r3.resolve(3);
    r5.reject(std::make_exception_ptr(std::runtime_error("element failed")));
    tether::set_immediate([=]() mutable {
      trace::log("resolve 2 and 4");
      r2.resolve(2);
      r4.resolve(4);
      tether::set_immediate([=]() mutable {
        trace::log("resolve 1");
        r1.resolve(1);
      });
    });
  });
  loop.run();
}
