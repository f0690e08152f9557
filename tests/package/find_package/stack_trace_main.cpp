// Built against an installed tether by tests/package: the stack_trace layer
// links (libdw comes with the package) and a trace names this program's
// function and the hop that led to it.
#include <string>

#include <tether/event_loop.hpp>
#include <tether/stack_trace.hpp>
#include <tether/timers.hpp>

namespace {
std::string text;
[[gnu::noinline]] void arm_timer_for_the_package_test() {
  tether::set_timeout([] { text = tether::to_string(tether::async_stack_trace()); });
}
}  // namespace

int main() {
  tether::set_stack_trace_options({});
  tether::event_loop loop;
  arm_timer_for_the_package_test();
  loop.run();
  const bool ok = text.find("-- Timeout ") != std::string::npos &&
                  text.find("arm_timer_for_the_package_test") != std::string::npos;
  return ok ? 0 : 1;
}
