// enter_with at top level lasts (and is captured by later resources);
// enter_with inside a callback lasts for the rest of that callback and is
// captured by what it schedules after, but not by its siblings.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  tether::set_immediate([&] { trace::log("immediate before enter_with", trace::store(als)); });
  als.enter_with("top");
  trace::log("top level after enter_with", trace::store(als));
  tether::set_immediate([&] {
    trace::log("immediate A store", trace::store(als));
    tether::next_tick([&] { trace::log("tick from A before", trace::store(als)); });
    als.enter_with("in A");
    trace::log("A after enter_with", trace::store(als));
    tether::next_tick([&] { trace::log("tick from A after", trace::store(als)); });
  });
  tether::set_immediate([&] { trace::log("sibling immediate B store", trace::store(als)); });
  loop.run();
}
