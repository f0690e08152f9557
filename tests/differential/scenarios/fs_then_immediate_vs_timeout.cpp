// From an fs callback (the poll phase) an immediate always runs before a
// 0 ms timeout scheduled with it: the check phase comes first. The callback
// runs in its FSREQCALLBACK's before/after (trigger: the caller).
// differential-requires: fs
#include <string>
#include <system_error>

#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/timers.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::fs::stat("fs_then_immediate_vs_timeout.js", [](std::error_code ec, tether::fs::stat_result st) {
    trace::log("stat done, error", ec ? 1 : 0, "is_file", st.is_file);
    tether::set_timeout([] { trace::log("timeout 0"); });
    tether::set_immediate([] { trace::log("immediate"); });
    tether::next_tick([] { trace::log("tick"); });
  });
  loop.run();
}
