// exit() hides this instance's store inside (and from work scheduled there)
// and restores it afterwards; another instance is unaffected.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> a;
  tether::async_local_storage<std::string> b;
  tether::event_loop loop;
  a.run("A", [&] {
    b.run("B", [&] {
      a.exit([&] {
        trace::log("inside exit: a", trace::store(a), "b", trace::store(b));
        tether::next_tick([&] { trace::log("tick from exit: a", trace::store(a), "b", trace::store(b)); });
        tether::set_immediate([&] {
          trace::log("immediate from exit: a", trace::store(a), "b", trace::store(b));
        });
      });
      trace::log("after exit: a", trace::store(a), "b", trace::store(b));
      tether::next_tick([&] { trace::log("tick after exit: a", trace::store(a), "b", trace::store(b)); });
    });
  });
  loop.run();
}
