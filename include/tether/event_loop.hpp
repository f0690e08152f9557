#pragma once
// A Node-style event loop on libuv. Every callback it runs is a tracked async
// resource (tether/async_hooks.hpp), and its ordering is Node's: after each
// callback, all next_tick callbacks, then all microtasks, until both queues
// are empty; then the next libuv phase (timers, I/O, check = immediates,
// close). See docs/semantics.md.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <tether/detail/unique_function.hpp>

struct uv_loop_s;
using uv_loop_t = uv_loop_s;  // the same type as libuv's typedef; <uv.h> not needed here

namespace tether {
namespace detail {
class loop_core;
}

/// One per thread, the thread's current loop from construction to
/// destruction. Loop-thread only: every function of the runtime that
/// schedules work uses the calling thread's current loop.
class event_loop {
 public:
  /// Throws usage_error if this thread already has a loop.
  event_loop();
  /// Drops work that never ran (its resources still get `destroy`), closes
  /// every handle and the libuv loop.
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// Runs until no work is left (ticks and microtasks queued before the call
  /// run first, as after Node's main script). Returns 0. If a callback throws
  /// and no uncaught-exception handler is set, stops at once and rethrows the
  /// exception here; the loop stays consistent and run() may be called again
  /// to carry on with the work left.
  ///
  /// "At once" means no more user code: libuv still delivers the I/O of the
  /// loop turn in which the exception happened (fs and queue_work
  /// completions), but their callbacks are held back (their requests stay
  /// allocated, their resources alive). The next run() first finishes the
  /// interrupted tick/microtask drain, then runs the held-back callbacks in
  /// its first turn, after that turn's timers and before its poll and check
  /// phases. Destroying the loop instead drops them: each still gets its
  /// `destroy` and frees its memory, no callback runs. (Node has no
  /// equivalent: its process dies at the first uncaught exception.)
  int run();

  /// The calling thread's loop. Throws usage_error if it has none.
  static event_loop& current();

  uv_loop_t* native_handle() noexcept;

  /// The loop's cached time in milliseconds (libuv's uv_now): updated once at
  /// the start of each loop turn, so every callback of one turn sees the same
  /// value. Cheap (a load); for timeouts and deadlines measured on the loop.
  std::uint64_t now() const noexcept;

  /// Node's process.on('uncaughtException'): called, inside the throwing
  /// callback's context, with each exception a callback lets escape; the loop
  /// keeps going. An empty handler restores the default (run() rethrows).
  void on_uncaught_exception(std::function<void(std::exception_ptr)> handler);

  /// Node's process.on('unhandledRejection'): called with the reason of each
  /// promise rejected with no handler once the tick/microtask queues have
  /// drained (a handler attached before then cancels the report), with the
  /// rejected promise as the current resource and the context of the
  /// rejection. Without one (the default, or after an empty handler), the
  /// rejection goes the uncaught-exception way as a tether::unhandled_rejection
  /// (Node's --unhandled-rejections=throw): run() stops and throws it unless
  /// on_uncaught_exception's handler takes it. A throwing handler stops
  /// run() with its exception.
  void on_unhandled_rejection(std::function<void(std::exception_ptr)> handler);

  /// Not API: the implementation.
  detail::loop_core& core() noexcept { return *core_; }

 private:
  std::unique_ptr<detail::loop_core> core_;
};

/// What run() throws for a promise rejection nobody handled: what() is
/// "tether: unhandled promise rejection: " + the reason's what().
class unhandled_rejection : public std::runtime_error {
 public:
  unhandled_rejection(std::exception_ptr reason, const std::string& what);
  /// The rejection itself.
  std::exception_ptr reason() const noexcept { return reason_; }

 private:
  std::exception_ptr reason_;
};

namespace detail {
loop_core& current_core();
void schedule_tick(loop_core& loop, unique_function<void()> fn);
void schedule_microtask(loop_core& loop, unique_function<void()> fn);
}  // namespace detail

/// Runs `f` after the current callback, before any microtask or I/O (Node's
/// process.nextTick). Creates a "TickObject" resource whose trigger is the
/// current execution id; `f` runs in the context captured now.
template <class F>
void next_tick(F&& f) {
  detail::schedule_tick(detail::current_core(), detail::unique_function<void()>(std::forward<F>(f)));
}

/// Runs `f` in the microtask queue, after all pending next_tick callbacks
/// (Node's queueMicrotask). Creates a "Microtask" resource.
template <class F>
void queue_microtask(F&& f) {
  detail::schedule_microtask(detail::current_core(),
                             detail::unique_function<void()>(std::forward<F>(f)));
}

}  // namespace tether
