// async_local_storage through an interval (each run sees the store of its
// creation) and timeouts (started by the interval's last run, so the order
// does not depend on timing).
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
  als.run("interval", [&] {
    *handle = tether::set_interval([&als, handle, runs] {
      ++*runs;
      trace::log("interval run", *runs, "store", trace::store(als));
      if (*runs < 3) {
        return;
      }
      tether::clear_interval(*handle);
      als.run("timeout", [&als] {
        tether::set_timeout([&als] {
          trace::log("timeout store", trace::store(als));
          als.run("nested", [&als] {
            tether::set_timeout([&als] { trace::log("nested timeout store", trace::store(als)); }, 1ms);
          });
          tether::set_timeout([&als] { trace::log("sibling timeout store", trace::store(als)); }, 1ms);
        }, 1ms);
      });
    }, 2ms);
  });
  loop.run();
}
