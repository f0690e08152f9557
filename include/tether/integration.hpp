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
// when they settle.
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
// - Hook callbacks run synchronously inside these calls. An exception thrown
//   by a hook callback is fatal (one line on stderr, then abort), so these
//   calls never throw except emit_destroy on misuse.

#include <string_view>

#include <tether/detail/hook_dispatch.hpp>
#include <tether/detail/thread_state.hpp>
#include <tether/resource.hpp>

namespace tether {

/// Gives `r` a fresh id and its trigger (`trigger` if non-zero, else the
/// current execution id), captures the current context frame, and fires
/// `init`. `type` must outlive `r` (a string literal, or storage the resource
/// owns). A resource initialised while a hook callback runs on this thread is
/// hidden from all hooks for its whole life.
inline void emit_init(resource& r, std::string_view type, async_id trigger = 0) noexcept {
  detail::thread_state& s = detail::tls;
  // The trigger first: on a thread's first event it assigns the thread's
  // top-level id, which must be older (smaller) than the resource's own.
  const async_id trigger_id = trigger != 0 ? trigger : execution_async_id();
  const async_id id = detail::new_async_id(s);
  detail::resource_access::init(r, type, id, trigger_id, s.hook_depth != 0);
  detail::resource_access::capture_frame(r, s.frame);
  detail::emit_hook(detail::hook_event::init, r);
}

/// Fires `destroy` for `r` and marks it destroyed. Called from inside r's own
/// callback_scope, the event is held back until that scope's `after`, so
/// `destroy` always follows the last `after`. Throws usage_error (naming the
/// resource, its type and the fix) if destroy was already emitted.
void emit_destroy(resource& r);

/// Fires `promise_resolve` for `r` (a promise-like resource that settled).
inline void emit_promise_resolve(resource& r) noexcept {
  detail::emit_hook(detail::hook_event::promise_resolve, r);
}

/// RAII bracket around one callback of `r`: on entry makes `r` the current
/// resource (execution_async_id() == r.id(), trigger_async_id() ==
/// r.trigger_id(), execution_async_resource() is r, get_store() sees r's
/// captured frame) and fires `before`; on exit fires `after` and restores the
/// previous id, trigger, resource and frame, also during stack unwinding.
/// An enter_with() made inside the scope ends with it.
class callback_scope {
 public:
  explicit callback_scope(resource& r) noexcept
      : resource_(r),
        saved_execution_(detail::tls.execution_id),
        saved_trigger_(detail::tls.trigger_id),
        saved_current_(detail::tls.current),
        saved_frame_(detail::tls.frame),
        saved_owned_(detail::tls.owned) {
    detail::thread_state& s = detail::tls;
    s.execution_id = r.id();
    s.trigger_id = r.trigger_id();
    s.current = &r;
    s.frame = detail::resource_access::frame(r);
    s.owned = nullptr;
    detail::emit_hook(detail::hook_event::before, r);
  }

  ~callback_scope() {
    detail::emit_hook(detail::hook_event::after, resource_);
    if (detail::resource_access::take_destroy_due(resource_)) [[unlikely]] {
      detail::emit_hook(detail::hook_event::destroy, resource_);
    }
    detail::thread_state& s = detail::tls;
    if (s.owned != nullptr) [[unlikely]] {
      detail::release_frame(s.owned);
    }
    s.execution_id = saved_execution_;
    s.trigger_id = saved_trigger_;
    s.current = saved_current_;
    s.frame = saved_frame_;
    s.owned = saved_owned_;
  }

  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;

 private:
  resource& resource_;
  async_id saved_execution_;
  async_id saved_trigger_;
  resource* saved_current_;
  const detail::context_frame* saved_frame_;
  detail::context_frame* saved_owned_;
};

}  // namespace tether
