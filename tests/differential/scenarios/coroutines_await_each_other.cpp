// Async functions awaiting each other: each starts eagerly and runs
// synchronously to its first await; every continuation resumes from a
// microtask, even after awaiting an already settled promise; results flow
// back up the chain.
// DIFFERENCE "promise counting": Node creates a throwaway PROMISE per
// `await` and runs the continuation inside it; tether creates none and
// resumes a coroutine inside its own promise (promise.hpp). So PROMISE
// events are left out and execution ids are not compared in log lines; the
// callback output and order are. Tether's full trace is in the
// .tether.expected file.
// differential-requires: promise
// differential: ignore-types=PROMISE log-ids=off
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

#include "trace.hpp"

namespace {
tether::promise<int> leaf(int x) {
  trace::log("leaf starts", x);
  int v = co_await tether::promise<int>::resolve(x);
  trace::log("leaf resumed", v);
  co_return v * 2;
}

tether::promise<int> middle() {
  trace::log("middle starts");
  int a = co_await leaf(1);
  trace::log("middle got", a);
  int b = co_await leaf(2);
  trace::log("middle got", b);
  co_return a + b;
}

tether::promise<> top() {
  trace::log("top starts");
  int r = co_await middle();
  trace::log("top got", r);
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::promise<> t = top();
  trace::log("main after calling top");
  tether::next_tick([] { trace::log("tick queued by main"); });
  t.then([] { trace::log("top finished"); });
  loop.run();
}
