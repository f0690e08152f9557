// docs/promise.md: async functions, then/catch_/finally, make_promise,
// combinators, and Node's "promise execution tracking" example.
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

tether::promise<int> answer() {
  co_await tether::delay(1ms);
  co_return 42;
}

tether::promise<int> fails() {
  co_await tether::delay(1ms);
  throw std::runtime_error("no answer");
}

tether::promise<std::string> main_task() {
  std::string log;
  int v = co_await answer();  // an async function awaiting another
  log += std::to_string(v);
  try {
    co_await fails();  // a rejection is rethrown at the co_await
  } catch (const std::runtime_error& e) {
    log += std::string(" caught ") + e.what();
  }
  int next = co_await answer().then([](int x) { return x + 1; });  // then: a microtask
  log += " " + std::to_string(next);

  auto [settle_later, settle] = tether::make_promise<int>();  // JS new Promise(...)
  tether::queue_microtask([r = std::move(settle)]() mutable { r.resolve(7); });
  log += " " + std::to_string(co_await settle_later);

  std::vector<tether::promise<int>> both;
  both.push_back(answer());
  both.push_back(tether::promise<int>::resolve(1));
  std::vector<int> values = co_await tether::all(std::move(both));
  log += " all " + std::to_string(values[0] + values[1]);
  co_return log;
}

int main() {
  tether::event_loop loop;
  // Node's "promise execution tracking": with a hook enabled, a then()
  // callback runs inside its own PROMISE, triggered by the parent promise.
  auto hook = tether::create_hook({.init = [](tether::async_id, std::string_view, tether::async_id,
                                              tether::resource&) {}}).enable();
  tether::async_id parent = 0;
  tether::async_id eid = 0;
  tether::async_id tid = 0;
  tether::promise<int> p = tether::promise<int>::resolve(1729);
  parent = p.id();
  auto tracked = p.then([&](int) {
    eid = tether::execution_async_id();
    tid = tether::trigger_async_id();
  });

  std::string log;
  auto task = main_task().then([&](std::string s) { log = std::move(s); });
  loop.run();
  tether::debug("then() ran in", eid, "triggered by", tid, "(the parent promise", parent, ")");
  tether::debug(log);  // 42 caught no answer 43 7 all 43
  return tid == parent && eid == tracked.id() && log == "42 caught no answer 43 7 all 43" ? 0 : 1;
}
