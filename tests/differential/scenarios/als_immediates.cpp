// async_local_storage through immediates, immediates they schedule, and
// clear_immediate of one (the others keep their stores).
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  tether::immediate cleared;
  als.run("i1", [&] {
    tether::set_immediate([&] {
      trace::log("immediate 1 store", trace::store(als));
      tether::set_immediate([&] { trace::log("next-turn immediate store", trace::store(als)); });
    });
    cleared = tether::set_immediate([&] { trace::log("must not run"); });
  });
  als.run("i2", [&] { tether::set_immediate([&] { trace::log("immediate 2 store", trace::store(als)); }); });
  tether::clear_immediate(cleared);
  loop.run();
}
