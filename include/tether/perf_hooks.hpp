#pragma once
// Node's perf_hooks for C++: a high-resolution clock, the performance
// timeline (marks, measures, function timings), observers that receive new
// entries asynchronously, HdrHistogram histograms, the event loop's delay
// and utilization.
//
//   tether::performance::mark("a");
//   ... work ...
//   auto m = tether::performance::measure("a to now", "a");   // m.duration: ms
//
//   tether::performance_observer obs([](const auto& list, auto&) {
//     for (const auto& e : list.get_entries()) print(e.name, e.duration);
//   });
//   obs.observe({.entry_types = {"measure"}});
//
//   auto delay = tether::monitor_event_loop_delay({.resolution = 10ms});
//   delay.enable();  ...  delay.percentile(99)  // ns
//
// Threads (docs/perf_hooks.md): time_origin() is process-wide; the timeline
// and observers belong to the calling thread (as each Node worker has its
// own); event_loop_utilization() and monitor_event_loop_delay() measure the
// calling thread's loop; a histogram is thread-compatible (record from one
// thread at a time, or synchronise).

#include <any>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <tether/detail/hdr_histogram.hpp>
#include <tether/error.hpp>

namespace tether {

/// One entry of the performance timeline (Node's PerformanceEntry,
/// PerformanceMark, PerformanceMeasure and function entries).
struct performance_entry {
  std::string name{};
  /// "mark", "measure" or "function" (static strings).
  std::string_view entry_type{};
  /// Milliseconds since performance::time_origin().
  double start_time = 0;
  /// Milliseconds (0 for a mark).
  double duration = 0;
  /// A mark's or measure's detail, as given (empty: none; Node's null).
  std::any detail{};
};

/// Options of create_histogram (Node's createHistogram options).
struct histogram_options {
  std::int64_t lowest = 1;                        // lowest discernible value
  std::int64_t highest = (std::int64_t{1} << 53) - 1;  // Number.MAX_SAFE_INTEGER
  int figures = 3;                                // significant decimal digits, 1..5
};

/// A histogram's read side (Node's Histogram). Values are integers; for the
/// event-loop delay, nanoseconds. Copies share the same data (Node's
/// objects are references). Thread-compatible.
class histogram {
 public:
  /// Node's histogram.min: the smallest value recorded (to the bucket), or
  /// INT64_MAX (9223372036854775807) when empty.
  std::int64_t min() const noexcept { return data_->min(); }
  /// The largest value recorded (to the bucket); 0 when empty.
  std::int64_t max() const noexcept { return data_->max(); }
  /// NaN when empty.
  double mean() const noexcept { return data_->mean(); }
  /// Population standard deviation; NaN when empty.
  double stddev() const noexcept { return data_->stddev(); }
  /// Values recorded.
  std::int64_t count() const noexcept { return data_->total_count(); }
  /// Values that could not be recorded: beyond the highest trackable value.
  std::int64_t exceeds() const noexcept { return *exceeds_; }
  /// The value at percentile `p` (0 < p <= 100; usage_error otherwise), to
  /// the bucket, as HdrHistogram (and Node) compute it; 0 when empty.
  std::int64_t percentile(double p) const;
  /// Empties the histogram.
  void reset() noexcept;

  /// Not API: the data (tests of the bucket layout).
  const detail::hdr_histogram& data() const noexcept { return *data_; }

 protected:
  explicit histogram(const histogram_options& o);
  std::shared_ptr<detail::hdr_histogram> data_;
  std::shared_ptr<std::int64_t> exceeds_;
};

/// A histogram user code records into (Node's RecordableHistogram).
class recordable_histogram : public histogram {
 public:
  /// Records `v` (1 <= v <= 2^53 - 1, as Node; usage_error otherwise); a
  /// value beyond the histogram's `highest` counts in exceeds(). Inline,
  /// allocation- and lock-free.
  void record(std::int64_t v) {
    if (v < 1 || v > max_recordable) [[unlikely]] {
      throw_out_of_range(v);
    }
    if (!data_->record(v)) [[unlikely]] {
      ++*exceeds_;
    }
  }
  /// Records the nanoseconds since the previous record_delta() (the first
  /// call only starts the clock).
  void record_delta() noexcept;
  /// Adds every value of `other`.
  void add(const histogram& other) noexcept;

 private:
  friend recordable_histogram create_histogram(histogram_options);
  explicit recordable_histogram(const histogram_options& o) : histogram(o) {}
  [[noreturn]] static void throw_out_of_range(std::int64_t v);
  static constexpr std::int64_t max_recordable = (std::int64_t{1} << 53) - 1;
  std::int64_t prev_ns_ = 0;
};

/// Node's perf_hooks.createHistogram(). Throws usage_error for bad options.
recordable_histogram create_histogram(histogram_options options = {});

namespace detail {
class delay_monitor;
}

struct event_loop_delay_options {
  /// How often the delay is sampled (Node's default: 10 ms). At least 1 ms.
  std::chrono::milliseconds resolution{10};
};

/// A histogram sampled by a timer on the loop (Node's IntervalHistogram):
/// monitor_event_loop_delay(). Loop-thread only. Copies share the monitor;
/// the last one gone stops its timer.
class interval_histogram : public histogram {
 public:
  /// Starts sampling; false if it already was.
  bool enable();
  /// Stops sampling; false if it was not sampling.
  bool disable();

 private:
  friend interval_histogram monitor_event_loop_delay(event_loop_delay_options);
  interval_histogram(const histogram_options& o, std::shared_ptr<detail::delay_monitor> m)
      : histogram(o), monitor_(std::move(m)) {}
  std::shared_ptr<detail::delay_monitor> monitor_;
};

/// Node's perf_hooks.monitorEventLoopDelay(): once enabled, a timer of the
/// calling thread's loop fires every `resolution` and records, in
/// nanoseconds, the time since it last fired: `resolution` plus however
/// long the loop was busy in between. The timer does not keep the loop
/// alive and is no async resource (as in Node). usage_error without a loop.
interval_histogram monitor_event_loop_delay(event_loop_delay_options options = {});

class performance_observer;

/// What an observer's callback receives (Node's PerformanceObserverEntryList):
/// the entries buffered for it since its last call, sorted by start_time.
class performance_observer_entry_list {
 public:
  explicit performance_observer_entry_list(std::vector<performance_entry> entries);
  const std::vector<performance_entry>& get_entries() const noexcept { return entries_; }
  /// Entries named `name` (and of type `type`, if given).
  std::vector<performance_entry> get_entries_by_name(std::string_view name,
                                                     std::string_view type = {}) const;
  std::vector<performance_entry> get_entries_by_type(std::string_view type) const;

 private:
  std::vector<performance_entry> entries_;
};

/// What performance_observer::observe watches. Set entry_types (several)
/// or type (one), not both (usage_error), as in Node.
struct observe_options {
  std::vector<std::string> entry_types{};
  std::string type{};
  /// Also deliver the entries already in the timeline (marks and measures).
  /// Node honours it only with `type`; tether with entry_types too
  /// (docs/perf_hooks.md).
  bool buffered = false;
};

namespace detail {
struct observer_state;
}

/// Node's PerformanceObserver. Entries of the observed types are buffered
/// for the observer as they are created; the first one buffered queues an
/// Immediate (one per thread for all observers, as Node's), whose callback
/// calls each observer with what it buffered, in the order the observers
/// first had something to deliver. So the callback runs in the check phase,
/// before immediates queued after that first entry.
///
/// Belongs to the thread that created it (usage_error elsewhere); observe()
/// needs that thread's event_loop. Destroying it disconnects it. Not
/// copyable or movable: the callback receives it by reference.
class performance_observer {
 public:
  using callback =
      std::function<void(const performance_observer_entry_list& list, performance_observer& observer)>;

  explicit performance_observer(callback cb);
  ~performance_observer();
  performance_observer(const performance_observer&) = delete;
  performance_observer& operator=(const performance_observer&) = delete;

  /// Starts (or changes) what is observed. Types tether does not produce
  /// ("gc", "http", ...) are ignored, as Node ignores unknown ones; with no
  /// type left the observer is disconnected.
  void observe(observe_options options);
  /// Stops observing and drops what was buffered.
  void disconnect() noexcept;
  /// Takes what is buffered now (the callback will not get it).
  std::vector<performance_entry> take_records();

  /// {"function", "mark", "measure"}.
  static std::vector<std::string_view> supported_entry_types();

 private:
  std::shared_ptr<detail::observer_state> state_;
};

namespace detail {
/// timerify's end: the "function" entry (and the histogram's value).
void timerified(const std::string& name, double start, recordable_histogram* h);
}  // namespace detail

namespace performance {

/// Milliseconds since time_origin(), from the monotonic clock.
double now() noexcept;
/// When the clock started (this process's start, in practice): Unix-epoch
/// milliseconds. Process-wide.
double time_origin() noexcept;

struct mark_options {
  std::any detail{};
  /// Default: now().
  std::optional<double> start_time{};
};
/// Adds a mark to the calling thread's timeline and returns it. A later
/// mark of the same name replaces it for measure(), not in the timeline.
/// usage_error for a negative start_time.
performance_entry mark(std::string_view name, mark_options options = {});

/// A point in time for measure: a mark's name, or milliseconds.
using mark_or_time = std::variant<std::monostate, std::string, double>;
struct measure_options {
  mark_or_time start{};
  mark_or_time end{};
  std::optional<double> duration{};
  std::any detail{};
};
/// Node's performance.measure, every form: from time_origin (0) to now;
/// from the mark `start_mark` to now; between two marks; or with options
/// (start/end as marks or times, or one of them and a duration). Adds the
/// measure to the timeline and returns it. usage_error naming the mark if
/// one has not been set, or for an impossible combination of options.
performance_entry measure(std::string_view name, measure_options options = {});
performance_entry measure(std::string_view name, std::string_view start_mark);
performance_entry measure(std::string_view name, std::string_view start_mark,
                          std::string_view end_mark);

/// The calling thread's marks and measures, sorted by start_time (stable).
std::vector<performance_entry> get_entries();
std::vector<performance_entry> get_entries_by_name(std::string_view name,
                                                   std::string_view type = {});
std::vector<performance_entry> get_entries_by_type(std::string_view type);
/// Removes every mark, or those named `name`.
void clear_marks();
void clear_marks(std::string_view name);
void clear_measures();
void clear_measures(std::string_view name);

/// The bound on the calling thread's timeline: at most `n` marks and `n`
/// measures are kept (default 1,000,000: where Node starts warning of a
/// leak). Beyond, new entries are still returned and still reach observers,
/// but are not kept; one line on stderr says so the first time. Each
/// observer's buffer has the same bound.
void set_buffer_limit(std::size_t n);
std::size_t buffer_limit() noexcept;

struct timerify_options {
  /// Also records each call's duration, in nanoseconds.
  recordable_histogram* histogram = nullptr;
};
/// Wraps `f`: each call that returns (not one that throws) creates a
/// "function" entry named `name` for the observers of "function" (Node
/// keeps them out of the timeline too). The wrapper returns what f returns.
template <class F>
auto timerify(F f, std::string name, timerify_options options = {}) {
  return [f = std::move(f), name = std::move(name), h = options.histogram](auto&&... args) mutable
         -> decltype(auto) {
    const double start = now();
    using R = std::invoke_result_t<F&, decltype(args)...>;
    if constexpr (std::is_void_v<R>) {
      std::invoke(f, std::forward<decltype(args)>(args)...);
      detail::timerified(name, start, h);
    } else {
      R result = std::invoke(f, std::forward<decltype(args)>(args)...);
      detail::timerified(name, start, h);
      return result;
    }
  };
}

/// Node's performance.eventLoopUtilization() for the calling thread's loop:
/// milliseconds idle (in the poll phase, waiting: libuv's
/// UV_METRICS_IDLE_TIME) and active since the loop first ran, and
/// active / (idle + active). All zero before its first run().
struct event_loop_utilization_result {
  double idle = 0;
  double active = 0;
  double utilization = 0;
};
event_loop_utilization_result event_loop_utilization();
/// The same, since `earlier` (a result of the call above).
event_loop_utilization_result event_loop_utilization(const event_loop_utilization_result& earlier);
/// The difference `later` - `earlier` of two results.
event_loop_utilization_result event_loop_utilization(const event_loop_utilization_result& later,
                                                     const event_loop_utilization_result& earlier);

}  // namespace performance

}  // namespace tether
