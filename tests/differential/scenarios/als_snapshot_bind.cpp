// snapshot() and bind() capture the context current when they are made:
// called later from another store's run() or from a timer, they see theirs.
// DIFFERENCE "bound resource destroy": their "bound-anonymous-fn" resources
// are destroyed with the last copy in tether, by the garbage collector in Node
// (never, in this short run).
// differential: node-undestroyed=bound-anonymous-fn
#include <functional>
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  using storage = tether::async_local_storage<std::string>;
  std::function<void(std::function<void()>)> snap;
  std::function<void()> bound;
  als.run("captured", [&] {
    auto s = storage::snapshot();
    snap = [s](std::function<void()> g) mutable { s(g); };
    bound = storage::bind([&] { trace::log("bound sees", trace::store(als)); });
  });
  als.run("caller", [&] {
    snap([&] { trace::log("snapshot sees", trace::store(als)); });
    bound();
    trace::log("caller still sees", trace::store(als));
  });
  tether::set_timeout([&] {
    snap([&] { trace::log("snapshot from timer sees", trace::store(als)); });
    bound();
    snap = nullptr;
    bound = nullptr;
  }, 1ms);
  loop.run();
}
