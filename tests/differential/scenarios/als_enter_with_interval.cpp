// enter_with inside an interval's run lasts until that run ends: the next
// run sees the store the interval was created with again.
// DIFFERENCE "enter_with scope" (Node v20's async_hooks-based ALS): Node v20
// writes the store onto the running Timeout object, so the interval's later
// runs keep it; tether ends it with the callback scope, as Node 24's
// AsyncContextFrame ALS does. The per-run store is a `differs` line.
#include <memory>
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  auto handle = std::make_shared<tether::timeout>();
  auto runs = std::make_shared<int>(0);
  als.run("created", [&] {
    *handle = tether::set_interval([&als, handle, runs] {
      ++*runs;
      trace::differs("run", *runs, "starts with", trace::store(als));
      als.enter_with("run " + std::to_string(*runs));
      trace::log("run", *runs, "after enter_with", trace::store(als));
      tether::next_tick([&als] { trace::log("tick sees", trace::store(als)); });
      if (*runs == 3) {
        tether::clear_interval(*handle);
      }
    }, 2ms);
  });
  loop.run();
}
