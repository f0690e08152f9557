// Callbacks that own their own handle, and nothing else does (JS's
// `const h = setInterval(() => clearInterval(h))` once the creating scope
// is gone): an interval cleared in its own run, an immediate and a timeout
// holding theirs. Each still gets exactly one destroy and nothing is freed
// twice (this used to be a double free in tether).
#include <memory>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

namespace {
void start_interval() {
  auto handle = std::make_shared<tether::timeout>();
  auto runs = std::make_shared<int>(0);
  *handle = tether::set_interval([handle, runs] {
    trace::log("interval run", ++*runs);
    if (*runs == 2) {
      tether::clear_interval(*handle);
    }
  }, 1ms);
}

void start_immediate() {
  auto handle = std::make_shared<tether::immediate>();
  *handle = tether::set_immediate([handle] { trace::log("immediate owning its handle"); });
}

void start_timeout() {
  auto handle = std::make_shared<tether::timeout>();
  *handle = tether::set_timeout([handle] { trace::log("timeout owning its handle"); }, 1ms);
}

void start_cleared_immediate() {
  auto handle = std::make_shared<tether::immediate>();
  *handle = tether::set_immediate([handle] { trace::log("must not run"); });
  tether::immediate copy = *handle;
  handle.reset();
  tether::clear_immediate(copy);
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  start_immediate();
  start_cleared_immediate();
  tether::set_immediate([] {
    start_timeout();
    start_interval();
  });
  loop.run();
}
