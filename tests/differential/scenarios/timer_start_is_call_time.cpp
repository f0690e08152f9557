// A timer's countdown starts when set_timeout is called, not when the
// current loop turn began: after a callback has been busy for 30 ms, a new
// 15 ms timer fires after a 40 ms timer created before the busy wait
// (Node's insert() takes getLibuvNow(), which updates the loop time).
#include <chrono>

#include <tether/timers.hpp>

#include "trace.hpp"

using namespace std::chrono_literals;

namespace {
void busy_wait(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}
}  // namespace

int main() {
  trace::start();
  tether::event_loop loop;
  tether::set_timeout([] { trace::log("40 ms timer created first"); }, 40ms);
  tether::set_immediate([] {
    trace::log("immediate busy for 30 ms");
    busy_wait(30ms);
    tether::set_timeout([] { trace::log("15 ms timer created after the busy wait"); }, 15ms);
  });
  loop.run();
}
