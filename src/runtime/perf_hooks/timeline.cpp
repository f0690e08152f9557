// The performance timeline: the clock, marks and measures (Node's
// lib/internal/perf/usertiming.js), the entry buffers and the observers
// (lib/internal/perf/observe.js). One timeline per thread, as Node has one
// per worker: a thread_local, no locks.
//
// Observer delivery follows observe.js: an entry is offered to every
// connected observer (in the order they connected); one that observes its
// type buffers it and, if it was not yet pending, joins the pending list;
// the first observer to become pending queues one Immediate for the thread
// (a real "Immediate" resource, as Node's setImmediate is), whose callback
// dispatches every pending observer, in the order they became pending, with
// its buffer sorted by start time.

#include <tether/perf_hooks.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>

#include <tether/debug.hpp>
#include <tether/error.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_core.hpp"

namespace tether {
namespace detail {

constexpr std::string_view mark_type = "mark";
constexpr std::string_view measure_type = "measure";
constexpr std::string_view function_type = "function";

namespace {

// The time origin: taken when the runtime library's static objects are
// initialised, before main. Process-wide, never written again.
struct clock_origin {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
  double epoch_ms = std::chrono::duration<double, std::milli>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
};
const clock_origin origin;

std::string_view canonical_type(std::string_view t) noexcept {
  if (t == mark_type) {
    return mark_type;
  }
  if (t == measure_type) {
    return measure_type;
  }
  if (t == function_type) {
    return function_type;
  }
  return {};
}

enum type_bit : unsigned { mark_bit = 1, measure_bit = 2, function_bit = 4 };

unsigned bit_of(std::string_view canonical) noexcept {
  if (canonical == mark_type) {
    return mark_bit;
  }
  if (canonical == measure_type) {
    return measure_bit;
  }
  return canonical == function_type ? unsigned{function_bit} : 0U;
}

void sort_by_start(std::vector<performance_entry>& v) {
  std::stable_sort(v.begin(), v.end(), [](const performance_entry& a, const performance_entry& b) {
    return a.start_time < b.start_time;
  });
}

}  // namespace

struct observer_state {
  performance_observer* owner = nullptr;  // null once the observer object is gone
  performance_observer::callback cb;
  unsigned types = 0;                     // type_bit mask
  int mode = 0;                           // 0: not yet; 1: entry_types; 2: type (Node's kType)
  bool connected = false;
  bool pending = false;
  bool warned = false;
  std::vector<performance_entry> buffer;
};

namespace {

struct timeline {
  std::vector<performance_entry> marks;
  std::vector<performance_entry> measures;
  std::unordered_map<std::string, double> mark_times;  // name -> start of its latest mark
  std::vector<std::shared_ptr<observer_state>> observers;  // connected, in connect order
  std::vector<std::shared_ptr<observer_state>> pending;    // in the order they became pending
  unsigned observed = 0;                                   // union of the observers' types
  bool flush_queued = false;
  std::size_t limit = 1'000'000;
  bool warned = false;
};

thread_local timeline tl;

void recompute_observed() noexcept {
  unsigned m = 0;
  for (const auto& o : tl.observers) {
    m |= o->types;
  }
  tl.observed = m;
}

void flush();

// One Immediate per thread delivers to every pending observer. None while
// the loop is being destroyed (a destroy hook may measure then): the
// entries stay buffered for the next loop on this thread.
void queue_flush() {
  loop_core* loop = current_core_if_any();
  if (tl.flush_queued || loop == nullptr || loop->closing()) {
    return;
  }
  tl.flush_queued = true;
  set_immediate([] { flush(); });
}

void flush() {
  tl.flush_queued = false;
  std::vector<std::shared_ptr<observer_state>> batch = std::move(tl.pending);
  tl.pending.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    observer_state& o = *batch[i];
    o.pending = false;
    if (!o.connected || o.owner == nullptr) {
      continue;
    }
    std::vector<performance_entry> entries = std::move(o.buffer);
    o.buffer.clear();
    sort_by_start(entries);
    const performance_observer_entry_list list(std::move(entries));
    try {
      performance_observer::callback cb = o.cb;  // the callback may disconnect or destroy it
      cb(list, *o.owner);
    } catch (...) {
      // The rest still get their entries, in a new Immediate after this one;
      // this exception goes the uncaught way of the Immediate that ran it.
      for (std::size_t j = batch.size(); j-- > i + 1;) {
        if (batch[j]->connected && !batch[j]->pending) {
          batch[j]->pending = true;
          tl.pending.insert(tl.pending.begin(), batch[j]);
        }
      }
      if (!tl.pending.empty()) {
        queue_flush();
      }
      throw;
    }
  }
}

void make_pending(const std::shared_ptr<observer_state>& o) {
  if (!o->pending) {
    o->pending = true;
    tl.pending.push_back(o);
  }
  queue_flush();
}

void buffer_for(observer_state& o, const performance_entry& e) {
  if (o.buffer.size() >= tl.limit) {
    if (!o.warned) {
      o.warned = true;
      debug("tether: a performance_observer has", tl.limit,
            "entries waiting: newer ones are dropped for it until its callback runs (see "
            "performance::set_buffer_limit)");
    }
    return;
  }
  o.buffer.push_back(e);
}

// Node's enqueue(): offered to the observers, kept in the timeline if a
// mark or measure.
void enqueue(const performance_entry& e, unsigned bit, std::vector<performance_entry>* buffer) {
  if ((tl.observed & bit) != 0) {
    // A copy of the list: an observer's make_pending cannot change it, but
    // stay safe against any re-entry.
    for (const auto& o : tl.observers) {
      if ((o->types & bit) != 0) {
        buffer_for(*o, e);
        make_pending(o);
      }
    }
  }
  if (buffer == nullptr) {
    return;
  }
  if (buffer->size() >= tl.limit) {
    if (!tl.warned) {
      tl.warned = true;
      debug("tether: the performance timeline holds", tl.limit, e.entry_type,
            "entries: newer ones are not kept; use performance::clear_marks / clear_measures "
            "(or performance::set_buffer_limit)");
    }
    return;
  }
  buffer->push_back(e);
}

double mark_time(const performance::mark_or_time& m, std::string_view what) {
  if (const double* t = std::get_if<double>(&m)) {
    if (*t < 0) {
      throw usage_error("tether: performance::measure: " + std::string(what) + " time " +
                        std::to_string(*t) + " is negative; use a time >= 0 (ms since time_origin())");
    }
    return *t;
  }
  const std::string& name = std::get<std::string>(m);
  const auto it = tl.mark_times.find(name);
  if (it == tl.mark_times.end()) {
    throw usage_error("tether: performance::measure: the \"" + name +
                      "\" performance mark has not been set (on this thread); mark it first");
  }
  return it->second;
}

bool set(const performance::mark_or_time& m) noexcept {
  return !std::holds_alternative<std::monostate>(m);
}

void erase_named(std::vector<performance_entry>& v, std::string_view name) {
  std::erase_if(v, [name](const performance_entry& e) { return e.name == name; });
}

std::vector<performance_entry> filtered(std::string_view name, std::string_view type, bool by_name) {
  std::vector<performance_entry> out;
  const std::string_view t = type.empty() ? std::string_view{} : canonical_type(type);
  if (!type.empty() && t.empty()) {
    return out;
  }
  for (const auto* v : {&tl.marks, &tl.measures}) {
    for (const performance_entry& e : *v) {
      if ((!by_name || e.name == name) && (t.empty() || e.entry_type == t)) {
        out.push_back(e);
      }
    }
  }
  sort_by_start(out);
  return out;
}

}  // namespace

void timerified(const std::string& name, double start, recordable_histogram* h) {
  const double duration = performance::now() - start;
  if (h != nullptr) {
    const auto ns = static_cast<std::int64_t>(std::ceil(duration * 1e6));
    h->record(ns > 0 ? ns : 1);
  }
  if ((tl.observed & function_bit) == 0) {
    return;
  }
  performance_entry e{name, function_type, start, duration, {}};
  enqueue(e, function_bit, nullptr);
}

}  // namespace detail

namespace performance {

double now() noexcept {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                   detail::origin.steady)
      .count();
}

double time_origin() noexcept { return detail::origin.epoch_ms; }

performance_entry mark(std::string_view name, mark_options options) {
  const double start = options.start_time.value_or(-1.0);
  if (options.start_time && start < 0) {
    throw usage_error("tether: performance::mark(\"" + std::string(name) + "\"): start_time " +
                      std::to_string(start) + " is negative; use a time >= 0");
  }
  performance_entry e{std::string(name), detail::mark_type,
                      options.start_time ? start : now(), 0, std::move(options.detail)};
  detail::tl.mark_times.insert_or_assign(e.name, e.start_time);
  detail::enqueue(e, detail::mark_bit, &detail::tl.marks);
  return e;
}

performance_entry measure(std::string_view name, measure_options o) {
  const bool has_start = detail::set(o.start);
  const bool has_end = detail::set(o.end);
  if (has_start && has_end && o.duration) {
    throw usage_error(
        "tether: performance::measure: start, end and duration all given; give at most two");
  }
  if (o.duration && !has_start && !has_end) {
    throw usage_error("tether: performance::measure: a duration needs a start or an end");
  }
  // Node's calculateStartDuration.
  double end = 0;
  if (has_end) {
    end = detail::mark_time(o.end, "end");
  } else if (has_start && o.duration) {
    end = detail::mark_time(o.start, "start") + *o.duration;
  } else {
    end = now();
  }
  double start = 0;
  if (has_start) {
    start = detail::mark_time(o.start, "start");
  } else if (o.duration && has_end) {
    start = end - *o.duration;
  }
  performance_entry e{std::string(name), detail::measure_type, start, end - start,
                      std::move(o.detail)};
  detail::enqueue(e, detail::measure_bit, &detail::tl.measures);
  return e;
}

performance_entry measure(std::string_view name, std::string_view start_mark) {
  return measure(name, measure_options{.start = std::string(start_mark)});
}

performance_entry measure(std::string_view name, std::string_view start_mark,
                          std::string_view end_mark) {
  return measure(name,
                 measure_options{.start = std::string(start_mark), .end = std::string(end_mark)});
}

std::vector<performance_entry> get_entries() { return detail::filtered({}, {}, false); }

std::vector<performance_entry> get_entries_by_name(std::string_view name, std::string_view type) {
  return detail::filtered(name, type, true);
}

std::vector<performance_entry> get_entries_by_type(std::string_view type) {
  if (type.empty()) {
    return {};
  }
  return detail::filtered({}, type, false);
}

void clear_marks() {
  detail::tl.marks.clear();
  detail::tl.mark_times.clear();
}

void clear_marks(std::string_view name) {
  detail::erase_named(detail::tl.marks, name);
  detail::tl.mark_times.erase(std::string(name));
}

void clear_measures() { detail::tl.measures.clear(); }

void clear_measures(std::string_view name) { detail::erase_named(detail::tl.measures, name); }

void set_buffer_limit(std::size_t n) {
  if (n == 0) {
    throw usage_error("tether: performance::set_buffer_limit(0) would keep nothing; use 1 or more");
  }
  detail::tl.limit = n;
  detail::tl.warned = false;
}

std::size_t buffer_limit() noexcept { return detail::tl.limit; }

}  // namespace performance

performance_observer_entry_list::performance_observer_entry_list(std::vector<performance_entry> entries)
    : entries_(std::move(entries)) {}

std::vector<performance_entry> performance_observer_entry_list::get_entries_by_name(
    std::string_view name, std::string_view type) const {
  std::vector<performance_entry> out;
  for (const performance_entry& e : entries_) {
    if (e.name == name && (type.empty() || e.entry_type == type)) {
      out.push_back(e);
    }
  }
  return out;
}

std::vector<performance_entry> performance_observer_entry_list::get_entries_by_type(
    std::string_view type) const {
  std::vector<performance_entry> out;
  for (const performance_entry& e : entries_) {
    if (e.entry_type == type) {
      out.push_back(e);
    }
  }
  return out;
}

performance_observer::performance_observer(callback cb)
    : state_(std::make_shared<detail::observer_state>()) {
  if (!cb) {
    throw usage_error("tether: performance_observer needs a callback");
  }
  state_->owner = this;
  state_->cb = std::move(cb);
}

performance_observer::~performance_observer() {
  disconnect();
  state_->owner = nullptr;
}

void performance_observer::observe(observe_options options) {
  const bool multiple = !options.entry_types.empty();
  const bool single = !options.type.empty();
  if (multiple == single) {
    throw usage_error(
        multiple ? "tether: performance_observer::observe: give entry_types or type, not both"
                 : "tether: performance_observer::observe: give entry_types (several) or type (one)");
  }
  detail::observer_state& s = *state_;
  const int mode = multiple ? 1 : 2;
  if (s.mode != 0 && s.mode != mode) {
    throw usage_error(mode == 1 ? "tether: performance_observer observes one type: it cannot "
                                  "change to entry_types (use a new observer)"
                                : "tether: performance_observer observes entry_types: it cannot "
                                  "change to a single type (use a new observer)");
  }
  if (detail::current_core_if_any() == nullptr) {
    throw usage_error(
        "tether: performance_observer::observe needs an event_loop on this thread (entries are "
        "delivered in an Immediate)");
  }
  s.mode = mode;
  unsigned added = 0;
  if (multiple) {
    s.types = 0;  // entry_types replaces the set (Node)
    for (const std::string& t : options.entry_types) {
      added |= detail::bit_of(detail::canonical_type(t));
    }
    s.types = added;
  } else {
    added = detail::bit_of(detail::canonical_type(options.type));
    s.types |= added;
  }
  if (s.types == 0) {
    disconnect();
    return;
  }
  if (!s.connected) {
    s.connected = true;
    detail::tl.observers.push_back(state_);
  }
  detail::recompute_observed();
  if (options.buffered && added != 0) {
    // The timeline's marks/measures of those types, sorted, then pending.
    for (const performance_entry& e : performance::get_entries()) {
      if ((detail::bit_of(e.entry_type) & added) != 0) {
        detail::buffer_for(s, e);
      }
    }
    detail::make_pending(state_);
  }
}

void performance_observer::disconnect() noexcept {
  detail::observer_state& s = *state_;
  s.buffer.clear();
  s.types = 0;
  if (s.connected) {
    s.connected = false;
    std::erase(detail::tl.observers, state_);
    detail::recompute_observed();
  }
  if (s.pending) {
    s.pending = false;
    std::erase(detail::tl.pending, state_);
  }
}

std::vector<performance_entry> performance_observer::take_records() {
  std::vector<performance_entry> out = std::move(state_->buffer);
  state_->buffer.clear();
  return out;
}

std::vector<std::string_view> performance_observer::supported_entry_types() {
  return {detail::function_type, detail::mark_type, detail::measure_type};
}

}  // namespace tether
