// setImmediate: the check phase runs the immediates queued before it began;
// those they schedule run on the loop's next turn (Node's processImmediate).

#include <tether/timers.hpp>

#include "core/frame_counting.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {

immediate_node* loop_core::start_immediate(void (*construct)(unique_function<void()>&, void*),
                                           void* f) {
  immediate_node* n = immediate_pool_->acquire();
  try {
    construct(n->fn, f);
  } catch (...) {
    immediate_pool_->recycle(n);  // not scheduled: no init, nothing to undo
    throw;
  }
  n->loop = this;
  n->pool = immediate_pool_;
  n->handles = 0;
  n->refed = true;
  n->queued = true;
  emit_init(*n, "Immediate");
  immediates_.push_back(*n);
  ++refed_immediates_;
  start_idle();
  return n;
}

void loop_core::on_check(uv_check_t* h) { static_cast<loop_core*>(h->data)->run_immediates(); }

void loop_core::run_immediates() {
  // Every turn, immediates or not: the loop thread's safe point for the
  // frames other threads dropped last (core/frame_counting.hpp). Here rather
  // than in on_check, which would then need a stack frame of its own.
  collect_frames_sent_home(tls);
  // stopping_: a callback threw earlier in this loop iteration (a timer, an
  // I/O callback); run() rethrows first, the next run() carries on.
  if (immediates_.empty() || stopping_) {
    return;
  }
  // Run those queued until now: immediates scheduled from here on are queued
  // behind batch_last_, for the next turn. If an uncaught exception stops the
  // loop, the rest simply stay at the front, so the next run() carries on in
  // order. No per-node bookkeeping: a turn costs what its immediates do.
  batch_last_ = immediates_.back();
  while (immediate_node* n = batch_last_ != nullptr ? immediates_.front() : nullptr) {
    unlink_immediate(*n);  // the last of the batch: clears batch_last_
    invoke_in_scope(*n, n->fn);
    finish_immediate(*n);
    drain();
    if (stopping_) {
      break;
    }
  }
  batch_last_ = nullptr;
  update_immediate_ref();
}

void loop_core::unlink_immediate(immediate_node& n) noexcept {
  if (&n == batch_last_) {
    // The batch now ends at the one before (null: n was its first left, so
    // the batch is over); n may be cleared by a callback of this batch.
    batch_last_ = immediates_.prev(n);
  }
  immediates_.erase(n);
  n.queued = false;
  if (n.refed) {
    --refed_immediates_;
  }
}

void loop_core::finish_immediate(immediate_node& n) noexcept {
  // Destroying the callback may drop the last `immediate` handle (a callback
  // that owns its own handle): release() would recycle the node under us and
  // we would recycle it again below. Pin it meanwhile
  // (tests/differential/scenarios/own_handle_last_owner).
  ++n.handles;
  n.fn = nullptr;
  n.loop = nullptr;  // done with its loop, which a handle may outlive
  emit_destroy(n);
  resource_access::capture_frame(n, nullptr);
  if (--n.handles == 0) {
    n.pool->recycle(&n);
  }
}

void loop_core::clear_immediate(immediate_node& n) noexcept {
  if (!n.queued) {
    return;
  }
  unlink_immediate(n);
  finish_immediate(n);
  update_immediate_ref();
}

void loop_core::set_immediate_ref(immediate_node& n, bool refed) noexcept {
  if (n.refed == refed) {
    return;
  }
  n.refed = refed;
  if (n.queued) {
    refed ? ++refed_immediates_ : --refed_immediates_;
    update_immediate_ref();
  }
}

// The idle handle keeps the loop alive and the poll phase from blocking while
// ref'd immediates wait (Node's ToggleImmediateRef). idle_active_ mirrors its
// state, so the common case (a chain: one immediate queues the next while
// the handle is already running) costs a branch, not a call into libuv.
void loop_core::update_immediate_ref() noexcept {
  if (refed_immediates_ > 0) {
    start_idle();
  } else if (idle_active_) {
    uv_idle_stop(&idle_handle_);
    idle_active_ = false;
  }
}

void loop_core::start_idle() noexcept {
  if (!idle_active_) {
    uv_idle_start(&idle_handle_, &loop_core::on_idle);
    idle_active_ = true;
  }
}

void loop_core::on_idle(uv_idle_t*) {}

// Only a queued immediate has a loop: once it has run or been cleared the
// handle may outlive the loop (finish_immediate clears `loop`), and ref()/
// unref() then only record the flag for has_ref(), as Node's Immediate does.
namespace {
void set_ref(immediate_node* n, bool refed) noexcept {
  if (n == nullptr) {
    return;
  }
  if (n->queued) {
    n->loop->set_immediate_ref(*n, refed);
  } else {
    n->refed = refed;
  }
}
}  // namespace

void retain(immediate_node* n) noexcept {
  if (n != nullptr) {
    ++n->handles;
  }
}

void release(immediate_node* n) noexcept {
  if (n != nullptr && --n->handles == 0 && !n->queued) {
    n->pool->recycle(n);
  }
}

immediate start_immediate(loop_core& loop, construct_callback construct, void* f) {
  return immediate(loop.start_immediate(construct, f));
}

}  // namespace tether::detail

namespace tether {

async_id immediate::id() const noexcept { return node_ != nullptr ? node_->id() : 0; }

immediate& immediate::unref() {
  detail::set_ref(node_, false);
  return *this;
}

immediate& immediate::ref() {
  detail::set_ref(node_, true);
  return *this;
}

bool immediate::has_ref() const noexcept { return node_ != nullptr && node_->refed; }

void clear_immediate(immediate& i) {
  if (detail::immediate_node* n = i.node(); n != nullptr && n->queued) {
    n->loop->clear_immediate(*n);
  }
}

}  // namespace tether
