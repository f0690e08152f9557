// async_local_storage through queue_microtask, and through ticks and
// microtasks queued from each other.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  als.run("m1", [&] {
    tether::queue_microtask([&] {
      trace::log("microtask store", trace::store(als));
      tether::next_tick([&] { trace::log("tick from microtask store", trace::store(als)); });
      als.run("m2", [&] {
        tether::queue_microtask([&] { trace::log("inner microtask store", trace::store(als)); });
      });
    });
  });
  als.run("t1", [&] {
    tether::next_tick([&] {
      tether::queue_microtask([&] { trace::log("microtask from tick store", trace::store(als)); });
    });
  });
  tether::queue_microtask([&] { trace::log("no-store microtask", trace::store(als)); });
  loop.run();
}
