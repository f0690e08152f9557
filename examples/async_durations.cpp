// async_durations: how long did each async operation really take? Node's
// perf_hooks example ("Measuring the duration of async operations") for
// every resource, in C++:
//
//   - a hook marks each resource at `init` and measures it at `destroy`
//     (performance::mark / performance::measure), and a performance_observer
//     prints each measure as it arrives: type, id, init -> destroy;
//   - the same hook times every callback (`before` -> `after`) and reports
//     the slow ones (longer than --slow-ms, default 20) with type and id;
//   - at exit, the loop's delay histogram (p50 / p99 / max, from
//     monitor_event_loop_delay) and its utilization.
//
// The workload: timers, an immediate, a promise chain with delays, a job on
// the thread pool, a post from another thread, and one deliberately slow
// timer callback. Exit status 1 if a measure or the slow callback is
// missing.
//
//   async_durations [--slow-ms N]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/perf_hooks.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

namespace performance = tether::performance;
using namespace std::chrono_literals;

namespace {

void spin_for(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

// What the hook knows of each live resource. Hooks run on every thread
// (the pool's `before`/`after`, a POST's `init` on the posting thread), so
// it is shared under a mutex; the perf timeline is per thread, so a
// resource created on another thread keeps its start time here instead of
// a mark on the loop thread's timeline.
struct tracker {
  std::mutex mutex;
  std::map<tether::async_id, std::string> types;
  std::map<tether::async_id, double> foreign_start;  // init on another thread
  std::thread::id loop_thread = std::this_thread::get_id();
  double slow_ms = 20;
  struct slow {
    std::string type;
    tether::async_id id;
    double ms;
  };
  std::vector<slow> slow_callbacks;
  std::size_t measured = 0;

  static std::string name(std::string_view type, tether::async_id id) {
    return std::string(type) + " #" + std::to_string(id);
  }
};

// Callbacks nest: a stack of start times per thread.
thread_local std::vector<double> callback_starts;

tether::async_hook make_hook(tracker& t) {
  tether::hook_callbacks cb;
  cb.init = [&t](tether::async_id id, std::string_view type, tether::async_id, tether::resource&) {
    const std::lock_guard lock(t.mutex);
    t.types.emplace(id, std::string(type));
    if (std::this_thread::get_id() == t.loop_thread) {
      performance::mark(tracker::name(type, id) + " init");
    } else {
      t.foreign_start.emplace(id, performance::now());
    }
  };
  cb.before = [](tether::async_id) { callback_starts.push_back(performance::now()); };
  cb.after = [&t](tether::async_id id) {
    const double ms = performance::now() - callback_starts.back();
    callback_starts.pop_back();
    if (ms > t.slow_ms) {
      const std::lock_guard lock(t.mutex);
      t.slow_callbacks.push_back({t.types[id], id, ms});
    }
  };
  cb.destroy = [&t](tether::async_id id) {
    const std::lock_guard lock(t.mutex);
    const auto type = t.types.find(id);
    if (type == t.types.end() || std::this_thread::get_id() != t.loop_thread) {
      return;
    }
    const std::string name = tracker::name(type->second, id);
    if (const auto f = t.foreign_start.find(id); f != t.foreign_start.end()) {
      performance::measure(name, {.start = f->second});
      t.foreign_start.erase(f);
    } else {
      performance::measure(name, name + " init");
      performance::clear_marks(name + " init");  // keeps the timeline small
    }
    ++t.measured;
    t.types.erase(type);
  };
  return tether::create_hook(std::move(cb));
}

tether::promise<> steps() {
  co_await tether::delay(5ms);
  co_await tether::delay(15ms);
}

}  // namespace

int main(int argc, char** argv) {
  tracker t;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--slow-ms") {
      t.slow_ms = std::strtod(argv[i + 1], nullptr);
    }
  }
  tether::event_loop loop;
  auto delay = tether::monitor_event_loop_delay({.resolution = 5ms});
  delay.enable();

  std::size_t printed = 0;
  tether::performance_observer observer([&](const tether::performance_observer_entry_list& list, auto&) {
    for (const tether::performance_entry& e : list.get_entries()) {
      std::printf("  %-22s %8.2f ms\n", e.name.c_str(), e.duration);
      ++printed;
    }
    performance::clear_measures();
  });
  observer.observe({.entry_types = {"measure"}});

  tether::async_hook hook = make_hook(t);
  hook.enable();
  std::printf("async durations (init -> destroy), as a performance_observer receives them:\n");

  // The workload.
  tether::set_timeout([] {}, 10ms);
  tether::set_timeout([] { spin_for(30ms); }, 25ms);  // the slow callback
  tether::set_immediate([] {});
  tether::next_tick([] {});
  steps().then([] {});
  tether::queue_work([] { std::this_thread::sleep_for(8ms); }, [](std::exception_ptr) {});
  tether::loop_hold hold = loop.hold();
  std::thread poster([ex = loop.executor(), &hold] { ex.post([&hold] { hold.release(); }); });
  loop.run();
  poster.join();

  hook.disable();
  loop.run();  // the observer's last delivery
  delay.disable();
  const auto elu = performance::event_loop_utilization();

  std::printf("slow callbacks (> %.0f ms):\n", t.slow_ms);
  for (const auto& s : t.slow_callbacks) {
    std::printf("  %-22s %8.2f ms\n", tracker::name(s.type, s.id).c_str(), s.ms);
  }
  std::printf("event loop: delay p50 %.2f ms, p99 %.2f ms, max %.2f ms (%lld samples); utilization %.2f\n",
              static_cast<double>(delay.percentile(50)) / 1e6, static_cast<double>(delay.percentile(99)) / 1e6,
              static_cast<double>(delay.max()) / 1e6, static_cast<long long>(delay.count()), elu.utilization);

  const bool slow_seen = !t.slow_callbacks.empty() && t.slow_callbacks.front().type == "Timeout";
  const bool all_printed = printed == t.measured && printed >= 8;
  if (!slow_seen || !all_printed) {
    std::fprintf(stderr, "async_durations: expected the slow Timeout and a measure per resource (%zu printed, %zu measured)\n",
                 printed, t.measured);
    return 1;
  }
  return 0;
}
