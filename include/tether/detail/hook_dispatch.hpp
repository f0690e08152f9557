#pragma once
// Not API. May change without notice.
//
// The inline half of hook dispatch: one relaxed load of a process-wide bit
// mask decides whether any enabled hook wants an event. Only when one does is
// the out-of-line dispatcher called (it loads the published hook list).

#include <atomic>

namespace tether {
class resource;
}

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

/// Every call site passes a constant event, so the switch folds away.
inline void emit_hook(hook_event e, resource& r) noexcept {
  if (hook_wanted(e)) [[unlikely]] {
    switch (e) {
      case hook_event::init:
        dispatch<hook_event::init>(r);
        break;
      case hook_event::before:
        dispatch<hook_event::before>(r);
        break;
      case hook_event::after:
        dispatch<hook_event::after>(r);
        break;
      case hook_event::destroy:
        dispatch<hook_event::destroy>(r);
        break;
      case hook_event::promise_resolve:
        dispatch<hook_event::promise_resolve>(r);
        break;
    }
  }
}

}  // namespace tether::detail
