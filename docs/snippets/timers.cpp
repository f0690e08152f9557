// docs/timers.md: setTimeout, setInterval, setImmediate, their clear
// functions, timers/promises' setTimeout, and what a hook sees of them.
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;

int main() {
  tether::event_loop loop;
  std::string created;
  auto hook = tether::create_hook({
      .init = [&](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
        created += "[" + std::string(type) + "]";
      },
  }).enable();

  std::string fired;
  int ticks = 0;
  tether::timeout interval = tether::set_interval([&] {
    if (++ticks == 3) {
      tether::clear_interval(interval);  // from its own callback: no 4th run
    }
  }, 1ms);
  tether::timeout never = tether::set_timeout([&] { fired += " never"; }, 50ms);
  tether::clear_timeout(never);
  bool immediate = false;
  tether::set_immediate([&] { immediate = true; });  // the check phase of the first turn
  tether::set_timeout([&] { fired += " 5ms"; }, 5ms).unref();  // does not keep the loop alive...
  tether::timeout kept = tether::set_timeout([&] { fired += " 10ms"; }, 10ms);  // ...this one does
  auto later = tether::delay(2ms).then([&] { fired += " delay"; });  // timers/promises setTimeout
  loop.run();

  tether::debug(created);                   // [Timeout][Timeout][Immediate][Timeout][Timeout][PROMISE][Timeout][PROMISE]
  tether::debug("fired:", fired, "ticks:", ticks);  // fired:  delay 5ms 10ms ticks: 3
  return created == "[Timeout][Timeout][Immediate][Timeout][Timeout][PROMISE][Timeout][PROMISE]" &&
                 fired == " delay 5ms 10ms" && ticks == 3 && immediate
             ? 0
             : 1;
}
