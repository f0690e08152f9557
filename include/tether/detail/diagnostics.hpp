#pragma once
// Not API. May change without notice.
//
// Two hook points between an event loop (tether::runtime) and
// tether::stack_trace, declared here so that neither depends on the other.
// Until something installs them they cost one relaxed load, and only on
// paths that are already slow (an exception leaving user code) or that only
// the trace walker takes.
//
//  - note_exception(): called by the runtime where an exception leaves user
//    code (a callback that throws, a coroutine body that ends with one, a
//    rejection nobody handled), while the execution context of that moment is
//    still current. tether::stack_trace installs the function that attaches
//    the async stack trace of that moment to the exception.
//  - await_walker: installed by a runtime whose resources can be awaited
//    (tether's promise<T>): given such a resource, the resource suspended
//    waiting for it and the code address where it waits. tether::stack_trace
//    follows it hop by hop for the await chain (folly's AsyncStack idea, on
//    the waiter lists the promises keep anyway).

#include <atomic>
#include <exception>

namespace tether {
class resource;
}

namespace tether::detail {

/// Attaches a trace to `e`: the one of `*cause` if it has one (`cause` may
/// be null), else the current async trace. Never throws.
using exception_note_fn = void (*)(const std::exception_ptr& e,
                                   const std::exception_ptr* cause) noexcept;
extern constinit std::atomic<exception_note_fn> exception_note_hook;

inline void note_exception(const std::exception_ptr& e,
                           const std::exception_ptr* cause = nullptr) noexcept {
  if (const exception_note_fn f = exception_note_hook.load(std::memory_order_acquire))
      [[unlikely]] {
    f(e, cause);
  }
}

/// One hop of an await chain.
struct await_link {
  resource* awaiter = nullptr;           // the resource suspended waiting
  const void* resume_address = nullptr;  // a return address in the awaiter's code, at the await
};

/// Fills `out` and returns true if someone waits for `awaited` (a resource
/// marked awaitable, see resource_access::mark_awaitable). Called on the
/// awaited resource's own thread, or from a fatal-signal handler (so it only
/// reads memory: no lock, no allocation).
using await_walk_fn = bool (*)(const resource& awaited, await_link& out) noexcept;
extern constinit std::atomic<await_walk_fn> await_walker;

}  // namespace tether::detail
