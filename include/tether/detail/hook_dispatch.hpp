#pragma once
// Not API. May change without notice.
//
// The inline half of hook dispatch: one relaxed load of a process-wide bit
// mask decides whether any enabled hook wants an event. When exactly one hook
// wants it (the common case: one tool listening), its callback is called
// right here; otherwise the out-of-line dispatcher walks the published list.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include <tether/resource.hpp>

namespace tether::detail {

enum class hook_event : unsigned { init, before, after, destroy, promise_resolve };
inline constexpr unsigned hook_event_count = 5;

// Bit e is set while at least one enabled hook has a callback for event e.
// relaxed: a thread that misses a concurrent enable() on another thread has no
// happens-before edge to it anyway; the dispatcher itself synchronises with the
// writer through an acquire load of the published list.
extern std::atomic<unsigned> active_hook_events;

/// A low-level listener for tether's own layers (tether::stack_trace), beside
/// the hooks. Unlike a hook it receives the resource itself at destroy too,
/// and it owns one pointer in every resource
/// (resource_access::observer_data). `init` runs before every hook's init,
/// `destroy` after every hook's destroy; both for visible resources only (not
/// those created while a hook callback runs), on the event's thread, counted
/// as hook callbacks (resources they create are hidden). They must not throw.
/// Either may be null; a null one costs nothing (its event bit stays clear).
struct resource_observer {
  void (*init)(resource& r) noexcept = nullptr;
  void (*destroy)(resource& r) noexcept = nullptr;
  /// resource_access::copy_identity gave `to` the identity of `from` (an
  /// adapter running one resource's callbacks on a copy of it: an Asio
  /// hand-off, a coroutine slice): `to` takes a share of its own of what
  /// `from` keeps, released by `destroy` or by observer_release. Null:
  /// copies keep nothing.
  void (*copy)(resource& to, const resource& from) noexcept = nullptr;
};

/// Installs `o` as the one observer (null: none), from the next event on.
/// `o` must stay valid for the rest of the process: another thread may still
/// be inside a callback of the one replaced. Thread-safe.
void set_resource_observer(const resource_observer* o) noexcept;

/// resource_access::copy_identity's slow path (`from` has observer data):
/// the observer's `copy`, if any.
void observer_copy(resource& to, const resource& from) noexcept;

/// Releases what the observer keeps in `r` (its `destroy` callback, with no
/// destroy event): for a resource whose identity ends without a destroy of
/// its own, because another resource with the same identity gets it (a
/// copy, or the original after a hand-off). Nothing if `r` keeps nothing.
void observer_release(resource& r) noexcept;

/// The out-of-line dispatchers, one per event so that each is a straight
/// loop over the published list (instantiated in hook_registry.cpp).
template <hook_event E>
void dispatch(resource& r) noexcept;
extern template void dispatch<hook_event::init>(resource&) noexcept;
extern template void dispatch<hook_event::before>(resource&) noexcept;
extern template void dispatch<hook_event::after>(resource&) noexcept;
extern template void dispatch<hook_event::destroy>(resource&) noexcept;
extern template void dispatch<hook_event::promise_resolve>(resource&) noexcept;

inline bool hook_wanted(hook_event e) noexcept {
  return (active_hook_events.load(std::memory_order_relaxed) & (1u << static_cast<unsigned>(e))) !=
         0;
}

/// The callback types of hook_callbacks (async_hooks.hpp).
using init_callback = std::function<void(async_id, std::string_view, async_id, resource&)>;
using id_callback = std::function<void(async_id)>;

/// Part of each published hook list (hook_registry.hpp): for each event, the
/// callback of the one enabled hook that wants it, or null when none or
/// several do, or when the resource observer wants it too. Immutable once
/// published, and kept until exit like the list it belongs to.
struct single_hooks {
  const init_callback* init = nullptr;
  // before, after, destroy, promise_resolve (hook_event order, minus init).
  const id_callback* by_id[hook_event_count - 1] = {};
};

/// The current list's single_hooks; never null (all-null before the first
/// enable). Stored with release by hook_registry::publish_single() (called
/// by publish() and set_observer()), after the list.
extern constinit std::atomic<const single_hooks*> published_single_hooks;

/// The one-line-then-abort report of an exception that escaped a hook
/// callback for `e`: called from the catch block, it rethrows to read what().
[[noreturn]] void hook_threw(hook_event e, const resource& r) noexcept;

/// Calls the single hook's callback for E, or the general dispatcher. Inline
/// because an out-of-line call level costs as much as the callback's own
/// indirect call (bench/README.md, "Integration cycle").
template <hook_event E>
inline void dispatch_inline(resource& r) noexcept {
  // acquire: pairs with publish_single()'s release store; the callback it
  // points to is fully built.
  const single_hooks* single = published_single_hooks.load(std::memory_order_acquire);
  const void* callback = nullptr;
  if constexpr (E == hook_event::init) {
    callback = single->init;
  } else {
    callback = single->by_id[static_cast<unsigned>(E) - 1];
  }
  // dispatch<E> also handles hidden resources (it drops their events).
  if (callback == nullptr || resource_access::hidden(r)) [[unlikely]] {
    dispatch<E>(r);
    return;
  }
  thread_state& s = tls;
  // Saved and put back rather than incremented and decremented, so the
  // restore does not wait on a reload of the counter after the callback.
  const std::uint32_t depth = s.hook_depth;
  s.hook_depth = depth + 1;
  try {
    if constexpr (E == hook_event::init) {
      (*static_cast<const init_callback*>(callback))(r.id(), r.type(), r.trigger_id(), r);
    } else {
      (*static_cast<const id_callback*>(callback))(r.id());
    }
  } catch (...) {
    hook_threw(E, r);
  }
  s.hook_depth = depth;
}

/// Every call site passes a constant event, so the switch folds away.
[[gnu::always_inline]] inline void emit_hook(hook_event e, resource& r) noexcept {
  if (hook_wanted(e)) [[unlikely]] {
    switch (e) {
      case hook_event::init:
        dispatch_inline<hook_event::init>(r);
        break;
      case hook_event::before:
        dispatch_inline<hook_event::before>(r);
        break;
      case hook_event::after:
        dispatch_inline<hook_event::after>(r);
        break;
      case hook_event::destroy:
        dispatch_inline<hook_event::destroy>(r);
        break;
      case hook_event::promise_resolve:
        dispatch_inline<hook_event::promise_resolve>(r);
        break;
    }
  }
}

}  // namespace tether::detail
