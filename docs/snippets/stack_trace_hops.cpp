// docs/stack_trace.md: reading the hops of a trace in a program.
#include <chrono>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/stack_trace.hpp>
#include <tether/timers.hpp>

/// True if some hop of the current trace was created by `function`.
bool created_by(const std::string& function) {
  for (const tether::async_hop& hop : tether::async_stack_trace().hops()) {
    for (const tether::stack_frame& f : hop.frames) {
      if (!f.internal && f.function.find(function) != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

void schedule_report(bool& from_schedule) {
  tether::set_timeout([&from_schedule] { from_schedule = created_by("schedule_report"); },
                      std::chrono::milliseconds(1));
}

int main() {
  tether::set_stack_trace_options({});
  tether::event_loop loop;
  bool from_schedule = false;
  schedule_report(from_schedule);
  loop.run();
  return from_schedule ? 0 : 1;
}
