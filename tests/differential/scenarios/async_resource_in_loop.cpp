// One async_resource entered from a tick, a microtask, an immediate and a
// timer: inside, the ids are the resource's; after, the callback's own.
#include <memory>

#include <tether/async_hooks.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::event_loop loop;
  auto conn = std::make_shared<tether::async_resource>("Connection");
  auto use = [conn](const char* from) {
    trace::log(from);
    conn->run_in_async_scope([from] { trace::log("connection work from", from); });
    trace::log("back in", from);
  };
  tether::next_tick([use] { use("tick"); });
  tether::queue_microtask([use] { use("microtask"); });
  tether::set_immediate([use, conn] {
    use("immediate");
    tether::set_timeout([use, conn] {
      use("timeout");
      conn->emit_destroy();
    }, 2ms);
  });
  loop.run();
}
