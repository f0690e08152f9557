// An async_resource captures the stores current at its construction: every
// run_in_async_scope sees them, wherever it is called from.
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
  std::shared_ptr<tether::async_resource> r;
  als.run("at construction", [&] { r = std::make_shared<tether::async_resource>("Pooled"); });
  als.run("caller", [&] {
    r->run_in_async_scope([&] { trace::log("in resource", trace::store(als)); });
    trace::log("caller", trace::store(als));
    tether::set_immediate([&] {
      r->run_in_async_scope([&] {
        trace::log("in resource from immediate", trace::store(als));
        tether::next_tick([&] { trace::log("tick scheduled inside resource", trace::store(als)); });
      });
      r->emit_destroy();
    });
  });
  loop.run();
}
