// async_local_storage through promise reactions: a then() callback sees the
// store current when then() was called, not when the promise was created
// or resolved (Node's reference 65); chains keep it hop by hop.
// differential-requires: promise
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  tether::promise<int> p;
  tether::resolver<int> r;
  als.run("A (create)", [&] {
    auto pr = tether::make_promise<int>();
    p = pr.first;
    r = pr.second;
  });
  als.run("B (then)", [&] {
    p.then([&](int v) {
       trace::log("then sees", trace::store(als), "value", v);
       return v + 1;
     }).then([&](int v) {
      trace::log("chained then sees", trace::store(als), "value", v);
      als.run("D (inner)", [&] {
        tether::promise<>::resolve().then([&] { trace::log("inner then sees", trace::store(als)); });
      });
    });
  });
  als.run("C (resolve)", [&] { tether::set_immediate([&] { r.resolve(1); }); });
  loop.run();
}
