// async_local_storage through next_tick: a tick sees the store current when
// it was queued, also ticks it queues in turn; outside run() there is none.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  als.run("a", [&] {
    tether::next_tick([&] {
      trace::log("tick 1 store", trace::store(als));
      tether::next_tick([&] { trace::log("nested tick store", trace::store(als)); });
    });
    trace::log("inside run store", trace::store(als));
  });
  als.run("b", [&] { tether::next_tick([&] { trace::log("tick 2 store", trace::store(als)); }); });
  tether::next_tick([&] { trace::log("tick 3 store", trace::store(als)); });
  trace::log("top level store", trace::store(als));
  loop.run();
}
