// Timeouts and intervals: Node's listOnTimeout/processTimers over the timer
// lists, one libuv timer armed for the earliest list.

#include <tether/timers.hpp>

#include <algorithm>

#include "runtime/loop_core.hpp"

namespace tether::detail {

namespace {
// The loop time *now*. uv_now() alone is the time cached when the loop turn
// began, so a timer started after a callback was busy for a while would count
// that time against its delay and fire early. Node's insert() takes
// getLibuvNow(), which updates the loop time first; so do we
// (tests/differential/scenarios/timer_start_is_call_time). uv_update_time is
// one CLOCK_MONOTONIC_COARSE read (vDSO).
std::uint64_t fresh_now(uv_loop_t* loop) noexcept {
  uv_update_time(loop);
  return uv_now(loop);
}
}  // namespace

timer_node* loop_core::start_timer(unique_function<void()> fn, std::uint64_t ms, bool repeat) {
  timer_node* t = timer_pool_->acquire();
  t->fn = std::move(fn);
  t->loop = this;
  t->pool = timer_pool_;
  // Node: a delay below 1 ms (or not a number) becomes 1 ms.
  t->duration = std::max<std::uint64_t>(ms, 1);
  t->repeat = repeat;
  t->refed = true;
  t->running = t->done = false;
  t->handles = 0;
  emit_init(*t, "Timeout");
  ++refed_timers_;
  if (const std::uint64_t expiry = timers_.insert(*t, fresh_now(&loop_));
      (expiry != 0 && (armed_expiry_ == 0 || expiry < armed_expiry_)) || refed_timers_ == 1) {
    // Also when this is the only ref'd timer: an unref'd one may be armed,
    // and the handle must now keep the loop alive.
    arm_timer();
  }
  return t;
}

void loop_core::on_timer(uv_timer_t* h) { static_cast<loop_core*>(h->data)->run_timers(); }

// Node's processTimers + listOnTimeout. After each callback: its destroy (a
// timeout that will not run again), then the tick/microtask drain.
void loop_core::run_timers() {
  armed_expiry_ = 0;
  if (stopping_) {
    // A callback threw earlier in this loop iteration: run nothing more
    // (run() arms the timer again).
    return;
  }
  uv_update_time(&loop_);
  const std::uint64_t now = uv_now(&loop_);
  while (timer_list* l = timers_.earliest()) {
    if (l->expiry > now || !run_timer_list(*l, now)) {
      break;
    }
  }
  if (stopping_) {
    // Not arm_timer(): with a list still due it would arm a 0 ms timeout and
    // libuv's uv__run_timers would call on_timer again at once, running the
    // rest of the due timers after the exception. run() re-arms.
    uv_timer_stop(&timer_handle_);
    return;
  }
  arm_timer();
  if (armed_expiry_ != 0 && armed_expiry_ <= uv_now(&loop_)) {
    // A list already due again: fresh_now() moved the loop time on during
    // this phase (a callback stayed busy, then started a timer). A 0 ms libuv
    // timer would make uv__run_timers call on_timer again at once, running
    // those timers before this turn's check phase (immediates). Node's
    // RunTimers arms at least 1 ms (`duration_ms > 0 ? duration_ms : 1`):
    // they run in the next turn (tests/differential/scenarios/
    // busy_timer_then_immediate).
    uv_timer_start(&timer_handle_, &loop_core::on_timer, 1, 0);
  }
}

// Runs the due timers of `l`; false if the loop is stopping. Callbacks may
// clear or add timers of this very list, so it stays `busy` (never freed)
// until we are done with it.
bool loop_core::run_timer_list(timer_list& l, std::uint64_t now) {
  timers_.busy = &l;
  bool due_left = false;
  while (timer_node* t = l.timers.front()) {
    // start > now: added during this run with a fresh start (fresh_now).
    if (t->start > now || now - t->start < l.duration) {
      // The rest of this list is not due yet: it sorts by its new expiry.
      timers_.set_expiry(l, std::max(t->start + l.duration, now + 1));
      due_left = true;
      break;
    }
    timers_.pop_front(l);
    // An interval's next countdown starts before its callback runs (Node's
    // listOnTimeout: `start = getLibuvNow()`), after the callbacks before it.
    const std::uint64_t start = t->repeat ? fresh_now(&loop_) : 0;
    t->running = true;
    invoke_in_scope(*t, t->fn);
    t->running = false;
    if (t->list == nullptr) {  // not re-armed by refresh() from its own callback
      if (t->repeat) {
        timers_.insert(*t, start);  // the same duration: appended to this list
      } else {
        finish_timer(*t);
      }
    }
    drain();
    if (stopping_) {
      break;
    }
  }
  timers_.busy = nullptr;
  if (!due_left && l.timers.empty()) {
    timers_.erase(l);
  }
  return !stopping_;
}

void loop_core::arm_timer() noexcept {
  timer_list* l = timers_.earliest();
  if (l == nullptr) {
    uv_timer_stop(&timer_handle_);
    armed_expiry_ = 0;
    return;
  }
  const std::uint64_t now = uv_now(&loop_);
  armed_expiry_ = l->expiry;
  uv_timer_start(&timer_handle_, &loop_core::on_timer, l->expiry > now ? l->expiry - now : 0, 0);
  if (refed_timers_ > 0) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
  }
}

// A timeout that will run no more: destroy (sync, after its last `after`),
// then back to the pool unless a handle still refers to it.
void loop_core::finish_timer(timer_node& t) noexcept {
  if (t.refed) {
    --refed_timers_;
  }
  t.done = true;
  // Destroying the callback may drop the last `timeout` handle (a callback
  // that owns its own handle, as in `h = set_interval([h] { clear_interval(*h);
  // })`): release() would then recycle the node under us, and we would
  // recycle it a second time below. Pin it meanwhile
  // (tests/differential/scenarios/own_handle_last_owner).
  ++t.handles;
  t.fn = nullptr;
  emit_destroy(t);
  resource_access::capture_frame(t, nullptr);
  if (--t.handles == 0) {
    t.pool->recycle(&t);
  }
}

void loop_core::clear_timer(timer_node& t) noexcept {
  if (t.done) {
    return;
  }
  if (t.running) {
    // Cleared from its own callback: run_timer_list finishes it (destroy)
    // after its `after`.
    if (t.list != nullptr) {  // refresh()ed, then cleared
      timers_.remove(t);
    }
    t.repeat = false;
    return;
  }
  timers_.remove(t);
  finish_timer(t);
  arm_timer();
}

void loop_core::refresh_timer(timer_node& t) noexcept {
  if (t.done) {
    return;
  }
  if (t.list != nullptr) {
    timers_.remove(t);
  } else if (!t.running) {
    return;
  }
  timers_.insert(t, fresh_now(&loop_));
  arm_timer();
}

void loop_core::set_timer_ref(timer_node& t, bool refed) noexcept {
  if (t.refed == refed) {
    return;
  }
  t.refed = refed;
  if (t.done) {
    return;
  }
  refed ? ++refed_timers_ : --refed_timers_;
  if (armed_expiry_ != 0) {
    arm_timer();
  }
}

void retain(timer_node* n) noexcept {
  if (n != nullptr) {
    ++n->handles;
  }
}

void release(timer_node* n) noexcept {
  if (n == nullptr) {
    return;
  }
  // After the loop is gone every node is done, so only the pool (which
  // outlives the loop while nodes are out) is touched.
  if (--n->handles == 0 && n->done) {
    n->pool->recycle(n);
  }
}

timeout start_timer(loop_core& loop, unique_function<void()> fn, std::chrono::milliseconds delay,
                    bool repeat) {
  const auto ms = delay.count() > 0 ? static_cast<std::uint64_t>(delay.count()) : 1;
  return timeout(loop.start_timer(std::move(fn), ms, repeat));
}

}  // namespace tether::detail

namespace tether {

async_id timeout::id() const noexcept { return node_ != nullptr ? node_->id() : 0; }

timeout& timeout::refresh() {
  if (node_ != nullptr && !node_->done) {
    node_->loop->refresh_timer(*node_);
  }
  return *this;
}

timeout& timeout::unref() {
  if (node_ != nullptr && !node_->done) {
    node_->loop->set_timer_ref(*node_, false);
  }
  return *this;
}

timeout& timeout::ref() {
  if (node_ != nullptr && !node_->done) {
    node_->loop->set_timer_ref(*node_, true);
  }
  return *this;
}

bool timeout::has_ref() const noexcept { return node_ != nullptr && node_->refed; }

void clear_timeout(timeout& t) {
  if (detail::timer_node* n = t.node(); n != nullptr && !n->done) {
    n->loop->clear_timer(*n);
  }
}

void clear_interval(timeout& t) { clear_timeout(t); }

}  // namespace tether
