// docs/stack_trace.md: the async stack trace of a timer set by a timer.
#include <chrono>
#include <cstdio>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/stack_trace.hpp>
#include <tether/timers.hpp>

bool names_first_timer = false;

void on_second_timer() {
  const tether::async_trace trace = tether::async_stack_trace();
  std::fputs(tether::to_string(trace).c_str(), stderr);
  for (const tether::async_hop& hop : trace.hops()) {  // this Timeout was created there
    for (const tether::stack_frame& f : hop.frames) {
      names_first_timer |= f.function.find("on_first_timer") != std::string::npos;
    }
  }
}

void on_first_timer() {
  tether::set_timeout(&on_second_timer, std::chrono::milliseconds(1));
}

int main() {
  tether::set_stack_trace_options({});  // capture at every init from now on
  tether::event_loop loop;
  tether::set_timeout(&on_first_timer, std::chrono::milliseconds(1));
  loop.run();
  return names_first_timer ? 0 : 1;
}
