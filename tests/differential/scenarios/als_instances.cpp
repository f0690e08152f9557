// Instances are independent: nested runs of two instances; b.enter_with()
// inside a.run() persists for b after a.run() returns (a.run restores only
// a), and timers see the combination current at their creation.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::async_local_storage<std::string> a;
  tether::async_local_storage<int> b;
  tether::event_loop loop;
  a.run("outer", [&] {
    b.run(1, [&] {
      a.run("inner", [&] {
        tether::set_timeout([&] { trace::log("timer 1: a", trace::store(a), "b", trace::store(b)); }, 1ms);
      });
      tether::set_timeout([&] { trace::log("timer 2: a", trace::store(a), "b", trace::store(b)); }, 1ms);
    });
    b.enter_with(2);
    trace::log("in a.run after enter_with: a", trace::store(a), "b", trace::store(b));
  });
  trace::log("after a.run: a", trace::store(a), "b", trace::store(b));
  tether::set_timeout([&] { trace::log("timer 3: a", trace::store(a), "b", trace::store(b)); }, 1ms);
  loop.run();
}
