// timeout_timing: how long did each timeout really take? An async hook keyed
// by id stores the time of every "Timeout" init and, at its destroy, how
// long it lived; the program then prints requested vs actual per timer.
//
//   ./build/dev/examples/timeout_timing
//
// Expected output (times vary from run to run and machine to machine):
//   timer                      requested  runs   expected     actual    late by
//   timeout 20ms                   20 ms     1    20.0 ms    20.6 ms     0.6 ms
//   timeout 0ms (is 1 ms)           0 ms     1     1.0 ms     1.3 ms     0.3 ms
//   timeout 50ms, cleared          50 ms     0    10.4 ms    10.4 ms     0.0 ms
//   timeout 15ms, refreshed        15 ms     1    25.4 ms    25.6 ms     0.2 ms
//   timeout 10ms                   10 ms     1    10.0 ms    10.4 ms     0.4 ms
//   interval 5ms x4                 5 ms     4    20.0 ms    20.9 ms     0.9 ms
//   timeout 30ms, busy 20ms        30 ms     1    50.0 ms    50.5 ms     0.5 ms
//   timeout 35ms behind busy       35 ms     1    35.0 ms    50.6 ms    15.6 ms
//   8 timeouts, 8 destroyed
//
// What the rows show: a timer fires no earlier than its delay (up to 1 ms by
// a finer clock: libuv counts whole milliseconds); a 0 ms delay is 1 ms, as
// in Node; clear_timeout() destroys at once; refresh() restarts the countdown;
// an interval is one resource for all its runs; and a callback that keeps the
// loop busy makes every timer due meanwhile late. `destroy` fires
// synchronously, right after a timer's last callback (or inside
// clear_timeout), so init to destroy is the timer's whole life here; in Node
// destroy is queued and comes a little later.

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using tether::async_id;

double ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

/// What the hook records per Timeout, by id (loop thread only).
struct lifetime {
  clock_type::time_point init;
  clock_type::time_point destroy;
  int runs = 0;
  bool destroyed = false;
};
std::map<async_id, lifetime> lifetimes;

tether::hook_callbacks timing_hooks() {
  tether::hook_callbacks cb;
  cb.init = [](async_id id, std::string_view type, async_id, tether::resource&) {
    if (type == "Timeout") {
      lifetimes[id].init = clock_type::now();
    }
  };
  cb.before = [](async_id id) {
    if (const auto it = lifetimes.find(id); it != lifetimes.end()) {
      ++it->second.runs;
    }
  };
  cb.destroy = [](async_id id) {
    if (const auto it = lifetimes.find(id); it != lifetimes.end()) {
      it->second.destroy = clock_type::now();
      it->second.destroyed = true;
    }
  };
  return cb;
}

/// What the program asked for, by id: a name, the requested delay, and when
/// the timer should have ended, in ms after its init (set when known).
struct plan {
  std::string name;
  long requested_ms = 0;
  double expected_ms = 0;
};
std::map<async_id, plan> plans;

tether::timeout track(tether::timeout t, std::string name, long requested_ms, double expected_ms) {
  plans[t.id()] = plan{std::move(name), requested_ms, expected_ms};
  return t;
}

double since_init(const tether::timeout& t) {
  return ms_between(lifetimes[t.id()].init, clock_type::now());
}

/// Handles the callbacks use; they live in main, longer than the loop.
struct handles {
  tether::timeout cleared;
  tether::timeout refreshed;
  tether::timeout interval;
  int interval_runs = 0;
};

void start_timers(handles& h) {
  track(tether::set_timeout([] {}, 20ms), "timeout 20ms", 20, 20);
  track(tether::set_timeout([] {}, 0ms), "timeout 0ms (is 1 ms)", 0, 1);
  h.cleared = track(tether::set_timeout([] {}, 50ms), "timeout 50ms, cleared", 50, 0);
  h.refreshed = track(tether::set_timeout([] {}, 15ms), "timeout 15ms, refreshed", 15, 0);

  // At 10 ms: clear one timer (its destroy fires inside clear_timeout) and
  // restart another's countdown.
  track(tether::set_timeout(
            [&h] {
              plans[h.cleared.id()].expected_ms = since_init(h.cleared);
              tether::clear_timeout(h.cleared);
              plans[h.refreshed.id()].expected_ms = since_init(h.refreshed) + 15;
              h.refreshed.refresh();
            },
            10ms),
        "timeout 10ms", 10, 10);

  // One resource for all four runs; cleared from inside its fourth run.
  h.interval = track(tether::set_interval(
                         [&h] {
                           if (++h.interval_runs == 4) {
                             tether::clear_interval(h.interval);
                           }
                         },
                         5ms),
                     "interval 5ms x4", 5, 20);

  // At 30 ms a callback keeps the loop busy for 20 ms (its own row expects
  // 30 + 20 ms: destroy follows its callback): the 35 ms timer can only run
  // once it returns, about 15 ms late.
  track(tether::set_timeout(
            [] {
              const auto until = clock_type::now() + 20ms;
              while (clock_type::now() < until) {
              }
            },
            30ms),
        "timeout 30ms, busy 20ms", 30, 50);
  track(tether::set_timeout([] {}, 35ms), "timeout 35ms behind busy", 35, 35);
}

void print_table() {
  std::printf("%-26s %9s %5s %10s %10s %10s\n", "timer", "requested", "runs", "expected", "actual",
              "late by");
  for (const auto& [id, p] : plans) {
    const lifetime& l = lifetimes[id];
    if (!l.destroyed) {
      std::printf("%-26s %6ld ms %5d  (never destroyed)\n", p.name.c_str(), p.requested_ms, l.runs);
      continue;
    }
    const double actual = ms_between(l.init, l.destroy);
    std::printf("%-26s %6ld ms %5d %7.1f ms %7.1f ms %7.1f ms\n", p.name.c_str(), p.requested_ms,
                l.runs, p.expected_ms, actual, actual - p.expected_ms);
  }
}

}  // namespace

int main() {
  tether::async_hook hook = tether::create_hook(timing_hooks());
  hook.enable();
  handles h;
  {
    tether::event_loop loop;
    start_timers(h);
    loop.run();
  }
  hook.disable();

  print_table();
  std::size_t destroyed = 0;
  for (const auto& [id, l] : lifetimes) {
    destroyed += l.destroyed ? 1 : 0;
  }
  std::printf("%zu timeouts, %zu destroyed\n", lifetimes.size(), destroyed);
  return destroyed == lifetimes.size() && lifetimes.size() == plans.size() ? 0 : 1;
}
