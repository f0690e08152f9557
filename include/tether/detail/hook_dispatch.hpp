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

void dispatch_hook(hook_event e, resource& r) noexcept;

inline bool hook_wanted(hook_event e) noexcept {
  return (active_hook_events.load(std::memory_order_relaxed) & (1u << static_cast<unsigned>(e))) !=
         0;
}

inline void emit_hook(hook_event e, resource& r) noexcept {
  if (hook_wanted(e)) [[unlikely]] {
    dispatch_hook(e, r);
  }
}

}  // namespace tether::detail
