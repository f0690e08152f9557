// The event loop's own measures: utilization from libuv's idle-time metric
// (UV_METRICS_IDLE_TIME, configured on every loop), and the delay monitor,
// a raw uv_timer_t (no async resource, as Node's ELDHistogram) that records
// the time between its firings.

#include <tether/perf_hooks.hpp>

#include <uv.h>

#include <memory>
#include <string>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>

#include "runtime/loop_core.hpp"

namespace tether {
namespace detail {

class delay_monitor final : public handle_owner {
 public:
  delay_monitor(loop_core& loop, std::uint64_t resolution_ms,
                std::shared_ptr<hdr_histogram> data, std::shared_ptr<std::int64_t> exceeds)
      : loop_(&loop),
        resolution_ms_(resolution_ms),
        data_(std::move(data)),
        exceeds_(std::move(exceeds)),
        timer_(std::make_unique<uv_timer_t>()) {
    uv_timer_init(loop.uv(), timer_.get());
    timer_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(timer_.get()));
    loop.add_handle_owner(*this);
  }
  delay_monitor(const delay_monitor&) = delete;
  delay_monitor& operator=(const delay_monitor&) = delete;
  ~delay_monitor() { close(); }

  bool enable() {
    check_thread();
    if (enabled_ || timer_ == nullptr) {
      return false;
    }
    enabled_ = true;
    prev_ns_ = 0;  // the first firing only starts the clock
    uv_timer_start(timer_.get(), &delay_monitor::on_timer, resolution_ms_, resolution_ms_);
    return true;
  }

  bool disable() {
    check_thread();
    if (!enabled_ || timer_ == nullptr) {
      return false;
    }
    enabled_ = false;
    uv_timer_stop(timer_.get());
    return true;
  }

  void close_on_teardown() noexcept override { close(); }

 private:
  static void on_timer(uv_timer_t* h) {
    auto& self = *static_cast<delay_monitor*>(h->data);
    const std::uint64_t now = uv_hrtime();
    if (self.prev_ns_ != 0 && !self.data_->record(static_cast<std::int64_t>(now - self.prev_ns_))) {
      ++*self.exceeds_;
    }
    self.prev_ns_ = now;
  }

  void check_thread() const {
    if (current_core_if_any() != loop_ && timer_ != nullptr) {
      throw usage_error(
          "tether: an interval_histogram is used on a thread other than its loop's; use it where "
          "monitor_event_loop_delay() was called");
    }
  }

  // The timer's memory goes with its close callback; the monitor may go
  // first (its last interval_histogram destroyed) or the loop may (teardown).
  void close() noexcept {
    if (timer_ == nullptr) {
      return;
    }
    loop_->remove_handle_owner(*this);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_.release()), [](uv_handle_t* h) {
      std::unique_ptr<uv_timer_t>{reinterpret_cast<uv_timer_t*>(h)}.reset();
    });
    enabled_ = false;
  }

  loop_core* loop_;
  std::uint64_t resolution_ms_;
  std::shared_ptr<hdr_histogram> data_;
  std::shared_ptr<std::int64_t> exceeds_;
  std::unique_ptr<uv_timer_t> timer_;  // null once closed
  std::uint64_t prev_ns_ = 0;
  bool enabled_ = false;
};

}  // namespace detail

bool interval_histogram::enable() { return monitor_->enable(); }
bool interval_histogram::disable() { return monitor_->disable(); }

interval_histogram monitor_event_loop_delay(event_loop_delay_options options) {
  if (options.resolution.count() < 1) {
    throw usage_error("tether: monitor_event_loop_delay resolution " +
                      std::to_string(options.resolution.count()) + " ms; use 1 ms or more");
  }
  detail::loop_core& loop = detail::current_core();  // usage_error without a loop
  // Node's ELDHistogram: lowest 1000 ns, highest INT64_MAX, 3 figures.
  const histogram_options h{.lowest = 1000, .highest = INT64_MAX, .figures = 3};
  interval_histogram result(h, nullptr);
  result.monitor_ = std::make_shared<detail::delay_monitor>(
      loop, static_cast<std::uint64_t>(options.resolution.count()), result.data_, result.exceeds_);
  return result;
}

namespace performance {
namespace {

event_loop_utilization_result make(double idle, double active) {
  const double total = idle + active;
  return {idle, active, total > 0 ? active / total : 0.0};
}

}  // namespace

event_loop_utilization_result event_loop_utilization() {
  detail::loop_core& loop = detail::current_core();  // usage_error without a loop
  const std::uint64_t started = loop.started_ns();
  if (started == 0) {
    return {};
  }
  const double idle = static_cast<double>(uv_metrics_idle_time(loop.uv())) / 1e6;
  const double active = static_cast<double>(uv_hrtime() - started) / 1e6 - idle;
  return make(idle, active);
}

event_loop_utilization_result event_loop_utilization(const event_loop_utilization_result& earlier) {
  const event_loop_utilization_result now = event_loop_utilization();
  return event_loop_utilization(now, earlier);
}

event_loop_utilization_result event_loop_utilization(const event_loop_utilization_result& later,
                                                     const event_loop_utilization_result& earlier) {
  return make(later.idle - earlier.idle, later.active - earlier.active);
}

}  // namespace performance
}  // namespace tether
