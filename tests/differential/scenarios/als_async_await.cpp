// async_local_storage across co_await: a coroutine sees its own store after
// every await, whatever the awaited coroutine did; enter_with after an await
// does not leak to the caller; enter_with before the first await does (it
// runs synchronously in the caller's context: Node's "known limitation").
// DIFFERENCE "promise counting" (see coroutines_await_each_other).
// differential-requires: promise
// differential: ignore-types=PROMISE log-ids=off
#include <string>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

namespace {
tether::async_local_storage<std::string>* als = nullptr;

tether::promise<> inner() {
  trace::log("inner starts with", trace::store(*als));
  co_await tether::promise<>::resolve();
  als->enter_with("set by inner after await");
  trace::log("inner after enter_with", trace::store(*als));
  co_await tether::delay(1ms);
  trace::log("inner after delay", trace::store(*als));
}

tether::promise<> outer() {
  trace::log("outer starts with", trace::store(*als));
  co_await inner();
  trace::log("outer after inner", trace::store(*als));
  co_await als->run("outer run", [] { return inner(); });
  trace::log("outer after inner in run", trace::store(*als));
}

tether::promise<> leaky() {
  als->enter_with("leaked before first await");
  co_await tether::promise<>::resolve();
  trace::log("leaky resumed with", trace::store(*als));
}
}  // namespace

int main() {
  trace::start();
  tether::async_local_storage<std::string> storage;
  als = &storage;
  tether::event_loop loop;
  storage.run("request 1", [] {
    outer().then([] {
      als->exit([] {
        tether::set_immediate([] {
          trace::log("immediate before leaky", trace::store(*als));
          leaky();
          trace::log("immediate after leaky", trace::store(*als));
        });
      });
    });
  });
  loop.run();
}
