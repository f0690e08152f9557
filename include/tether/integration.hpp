#pragma once
// The integration API: what an event loop, an executor or an I/O library
// calls so that its operations become async resources. tether's own runtime
// and Asio adapter use nothing else.
//
// A resource's life, and the calls that make it:
//
//   class my_timer : public tether::resource { ... };   // or embed one
//
//   my_timer t;
//   tether::emit_init(t, "MyTimer");       // when the operation is scheduled:
//                                          //   assigns the id, the trigger (the
//                                          //   current execution id unless given)
//                                          //   and captures the context frame;
//                                          //   fires `init` in the scheduling context
//   ...later, possibly on another thread...
//   {
//     tether::callback_scope scope(t);     // before the user callback: switches
//     user_callback();                     //   execution id, trigger, resource
//   }                                      //   and context frame; fires before/after;
//                                          //   restores everything, even on throw
//   tether::emit_destroy(t);               // when the operation can run no more
//                                          //   (exactly once; fires `destroy`)
//
// emit_promise_resolve(r) fires `promise_resolve` for promise-like resources
// when they settle. captured_context + context_scope carry the context alone
// (no resource, no hooks) to code that runs later, e.g. a coroutine resumed
// by someone else's completion.
//
// Rules for integrators:
// - The resource must outlive every callback_scope entered for it: move the
//   user's callback out first if you free the operation before the upcall,
//   but keep the resource (it is small) alive until the scope ends.
// - callback_scope may be entered any number of times (intervals, sockets);
//   it nests; it is neither copyable nor movable; it only touches the
//   current thread's state.
// - None of these calls allocates or takes a lock when no hook is enabled;
//   emit_init's frame capture is one atomic increment, and only when an
//   async_local_storage store is active.
// - emit_init, emit_destroy and callback_scope are forced inline
//   ([[gnu::always_inline]], as are the frame counting and hook test they
//   use): a completion path that wraps them (Asio's do_complete) outgrows
//   GCC's inlining budget, and each piece it then leaves out of line costs a
//   call per event (bench/README.md, "Asio").
// - Hook callbacks run synchronously inside these calls. An exception thrown
//   by a hook callback is fatal (one line on stderr, then abort), so these
//   calls never throw except emit_destroy on misuse.

#include <string_view>
#include <utility>

#include <tether/detail/hook_dispatch.hpp>
#include <tether/detail/thread_state.hpp>
#include <tether/resource.hpp>

namespace tether {

/// Gives `r` a fresh id and its trigger (`trigger` if non-zero, else the
/// current execution id), captures the current context frame, and fires
/// `init`. `type` must outlive `r` (a string literal, or storage the resource
/// owns). A resource initialised while a hook callback runs on this thread is
/// hidden from all hooks for its whole life.
[[gnu::always_inline]] inline void emit_init(resource& r, std::string_view type,
                                             async_id trigger = 0) noexcept {
  detail::thread_state& s = detail::tls;
  // The trigger first: on a thread's first event it assigns the thread's
  // top-level id, which must be older (smaller) than the resource's own.
  const async_id trigger_id = trigger != 0 ? trigger : execution_async_id();
  const async_id id = detail::new_async_id(s);
  detail::resource_access::init(r, type, id, trigger_id, s.hook_depth != 0);
  detail::resource_access::capture_frame(r, s.frame);
  detail::emit_hook(detail::hook_event::init, r);
}

namespace detail {
/// emit_destroy's misuse report: throws usage_error (out of line and cold).
[[noreturn]] void destroyed_twice(const resource& r);
}  // namespace detail

/// Fires `destroy` for `r` and marks it destroyed. Called from inside r's own
/// callback_scope, the event is held back until that scope's `after`, so
/// `destroy` always follows the last `after`. Throws usage_error (naming the
/// resource, its type and the fix) if destroy was already emitted.
[[gnu::always_inline]] inline void emit_destroy(resource& r) {
  if (r.destroyed()) [[unlikely]] {
    detail::destroyed_twice(r);
  }
  detail::resource_access::mark_destroyed(r);
  if (detail::tls.current == &r) [[unlikely]] {
    // Inside its own callback: `destroy` must follow that callback's `after`
    // (Node gets this for free by queueing destroys).
    detail::resource_access::mark_destroy_due(r);
    return;
  }
  detail::emit_hook(detail::hook_event::destroy, r);
}

/// Fires `promise_resolve` for `r` (a promise-like resource that settled).
inline void emit_promise_resolve(resource& r) noexcept {
  detail::emit_hook(detail::hook_event::promise_resolve, r);
}

namespace detail {

/// The one guard that saves a thread's execution state (ids, current
/// resource, context frame) and puts it back when it ends, also during stack
/// unwinding. While it lives, an enter_with() owns its frame here; that frame
/// is released at the end, so an enter_with() lasts until the scope that
/// contains it ends (Node's rule). callback_scope, context_scope and the
/// runtime's hook-less scopes are all built on it.
class saved_execution_state {
 public:
  [[gnu::always_inline]] saved_execution_state() noexcept
      : state_(tls),
        execution_(state_.execution_id),
        trigger_(state_.trigger_id),
        current_(state_.current),
        frame_(state_.frame),
        owned_(state_.owned) {
    state_.owned = nullptr;
  }

  [[gnu::always_inline]] ~saved_execution_state() {
    if (state_.owned != nullptr) [[unlikely]] {
      release_frame(state_.owned);
    }
    state_.execution_id = execution_;
    state_.trigger_id = trigger_;
    state_.current = current_;
    state_.frame = frame_;
    state_.owned = owned_;
  }

  saved_execution_state(const saved_execution_state&) = delete;
  saved_execution_state& operator=(const saved_execution_state&) = delete;

  /// The thread's state, to switch after construction.
  thread_state& state() noexcept { return state_; }

 private:
  thread_state& state_;
  async_id execution_;
  async_id trigger_;
  resource* current_;
  const context_frame* frame_;
  context_frame* owned_;
};

/// Makes `r` the current resource (ids, resource) with `frame` as the
/// context, firing no hook: callback_scope adds the hooks; the runtime runs
/// some listeners (unhandledRejection) without them, as Node does.
class resource_scope {
 public:
  [[gnu::always_inline]] resource_scope(resource& r, const context_frame* frame) noexcept {
    thread_state& s = saved_.state();
    s.execution_id = r.id();
    s.trigger_id = r.trigger_id();
    s.current = &r;
    s.frame = frame;
  }
  [[gnu::always_inline]] ~resource_scope() = default;

 private:
  saved_execution_state saved_;
};

}  // namespace detail

/// RAII bracket around one callback of `r`: on entry makes `r` the current
/// resource (execution_async_id() == r.id(), trigger_async_id() ==
/// r.trigger_id(), execution_async_resource() is r, get_store() sees r's
/// captured frame) and fires `before`; on exit fires `after` and restores the
/// previous id, trigger, resource and frame, also during stack unwinding.
/// An enter_with() made inside the scope ends with it.
class callback_scope {
 public:
  [[gnu::always_inline]] explicit callback_scope(resource& r) noexcept
      : resource_(r), scope_(r, detail::resource_access::frame(r)) {
    detail::emit_hook(detail::hook_event::before, r);
  }

  [[gnu::always_inline]] ~callback_scope() {
    // Before scope_ restores the caller's state: after/destroy run in r's.
    detail::emit_hook(detail::hook_event::after, resource_);
    if (detail::resource_access::take_destroy_due(resource_)) [[unlikely]] {
      detail::emit_hook(detail::hook_event::destroy, resource_);
    }
  }

  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;

 private:
  resource& resource_;
  detail::resource_scope scope_;
};

/// The async_local_storage context of one moment: every storage's store as
/// get_store() saw it when captured. A counted reference to an immutable
/// frame: copying it is one increment, and it may be kept and used on any
/// thread. An Asio adapter, a coroutine library or a connection object keeps
/// one to run later code "in the context of then" without creating a
/// resource (for that, use emit_init + callback_scope, which capture and
/// restore it for you).
class captured_context {
 public:
  /// The empty context: no store for any storage.
  captured_context() noexcept = default;
  captured_context(const captured_context& other) noexcept
      : frame_(detail::acquire_frame(other.frame_)) {}
  captured_context(captured_context&& other) noexcept
      : frame_(std::exchange(other.frame_, nullptr)) {}
  captured_context& operator=(captured_context other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~captured_context() { detail::release_frame(frame_); }

  /// The context current on this thread now.
  static captured_context current() noexcept {
    return captured_context(detail::acquire_frame(detail::tls.frame));
  }

  /// True for the empty context (no store was set when captured).
  bool empty() const noexcept { return frame_ == nullptr; }

 private:
  friend class context_scope;
  explicit captured_context(detail::context_frame* f) noexcept : frame_(f) {}
  detail::context_frame* frame_ = nullptr;
};

/// RAII: installs a captured context as the current one (get_store() sees
/// its stores) and puts back the previous one on exit, also during stack
/// unwinding. Changes no id and fires no hook. An enter_with() made inside
/// ends with the scope. `c` must outlive the scope. Current thread only;
/// nests; allocation- and lock-free.
class context_scope {
 public:
  explicit context_scope(const captured_context& c) noexcept { saved_.state().frame = c.frame_; }

  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;

 private:
  detail::saved_execution_state saved_;
};

}  // namespace tether
