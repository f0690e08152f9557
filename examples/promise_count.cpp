// promise_count: counts the PROMISE resources a chain of coroutines creates.
// top(n) awaits middle(i), which awaits leaf(i), n times; a hook counts PROMISE
// inits, promise_resolves and destroys. tether makes one PROMISE per coroutine
// call (and per then()), none per await: 2n + 2 here. Node makes 4n + 2 for the
// same script (a throwaway promise per await) and destroys them only at GC.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>

namespace {

tether::promise<int> leaf(int i) { co_return i; }

tether::promise<int> middle(int i) { co_return co_await leaf(i) * 2; }

tether::promise<int> top(int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += co_await middle(i);
  }
  co_return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10;

  tether::async_id promises = 0;
  long inits = 0;
  long resolves = 0;
  long destroys = 0;
  tether::hook_callbacks cb;
  cb.init = [&](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
    if (type == "PROMISE") {
      ++inits;
      ++promises;
    }
  };
  // Only PROMISE resources fire promise_resolve; destroy is counted for all
  // resources, and here only promises exist.
  cb.promise_resolve = [&](tether::async_id) { ++resolves; };
  cb.destroy = [&](tether::async_id) { ++destroys; };
  tether::async_hook hook = tether::create_hook(std::move(cb));
  hook.enable();

  int sum = 0;
  {
    tether::event_loop loop;
    // node: top(10).then(s => ...)  (bench twin: the same chain in JS)
    auto done = top(n).then([&](int s) { sum = s; });
    loop.run();
  }
  hook.disable();

  std::printf("top(%d) = %d\n", n, sum);
  std::printf("PROMISE resources: %llu (init %ld, promise_resolve %ld, destroy %ld)\n",
              static_cast<unsigned long long>(promises), inits, resolves, destroys);
  std::printf("node v20 creates %d for the same chain (a throwaway promise per await)\n",
              4 * n + 2);
  return inits == 2L * n + 2 && resolves == inits && destroys == inits ? 0 : 1;
}
