// disable(): get_store() is empty at once, also in callbacks scheduled
// before with a store; other instances keep theirs; a later run() works
// again for what it schedules.
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> a;
  tether::async_local_storage<std::string> other;
  tether::event_loop loop;
  a.run("A", [&] {
    other.run("O", [&] {
      tether::next_tick([&] { trace::log("tick: a", trace::store(a), "other", trace::store(other)); });
      tether::set_immediate([&] {
        trace::log("immediate: a", trace::store(a), "other", trace::store(other));
        a.run("A2", [&] {
          tether::next_tick([&] { trace::log("tick after run again: a", trace::store(a)); });
        });
      });
      a.disable();
      trace::log("right after disable: a", trace::store(a), "other", trace::store(other));
    });
  });
  loop.run();
}
