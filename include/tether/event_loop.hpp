#pragma once
// A Node-style event loop on libuv. Every callback it runs is a tracked async
// resource (tether/async_hooks.hpp), and its ordering is Node's: after each
// callback, all next_tick callbacks, then all microtasks, until both queues
// are empty; then the next libuv phase (timers, I/O, check = immediates,
// close). See docs/semantics.md.

#include <concepts>
#include <cstddef>
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
class resource;

namespace detail {
class loop_core;
class post_queue;

/// Creates the POST resource (in the calling context) and queues it; false,
/// with no resource created, if `q` has ended or is full.
bool submit_post(post_queue& q, unique_function<void()> fn);
bool run_callback_in(loop_core& loop, resource& r, unique_function<void()>& f) noexcept;
}  // namespace detail

class loop_executor;
class loop_hold;

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

  /// Runs `f` on this loop's thread, from ANY thread (Node has no threads
  /// to post from; this is how work gets back onto a loop). `f` runs in the
  /// poll phase as a "POST" resource created now, in the calling context:
  /// trigger = the caller's execution id, async_local_storage stores = the
  /// caller's (captured on the caller's thread); then the tick and microtask
  /// queues are drained, as after any callback. Posts from one thread run in
  /// the order they were made; a burst of posts wakes the loop once.
  ///
  /// Returns false, and destroys `f` unrun on the calling thread, if the
  /// loop has ended (use executor() to post to a loop that may be gone:
  /// posting through a dangling event_loop& is undefined) or if
  /// post_capacity() posts are already waiting (the bound on the queue: see
  /// set_post_capacity). No resource is created then, except when the loop
  /// ends during this very call: its `init` was reported, and its `destroy`
  /// follows before post returns. true: `f` runs exactly once, or, if the
  /// loop is destroyed first, is destroyed unrun with its `destroy` emitted
  /// (as any work that never ran, docs/semantics.md D22).
  ///
  /// A post does not keep run() going by itself: one that arrives while
  /// run() is waiting wakes it; one that arrives after run() has run out of
  /// work waits for the next run(). hold() keeps run() waiting for posts.
  template <class F>
    requires std::invocable<F&>
  bool post(F f) {
    return detail::submit_post(*posts_, detail::unique_function<void()>(std::move(f)));
  }

  /// A copyable handle that can post to this loop from any thread and
  /// outlives it: its post() returns false once the loop has ended.
  loop_executor executor() const noexcept;

  /// Loop thread: keeps run() going (waiting for posts) until the returned
  /// hold is released or destroyed, which any thread may do (Asio's
  /// executor_work_guard). Throws usage_error on another thread.
  [[nodiscard]] loop_hold hold();

  /// At most `n` posts may wait to run (default 1,048,576); post() returns
  /// false beyond. Loop thread. Throws usage_error for 0.
  void set_post_capacity(std::size_t n);
  std::size_t post_capacity() const noexcept;
  static constexpr std::size_t default_post_capacity = std::size_t{1} << 20;

  /// For code that owns a raw libuv handle on this loop (native_handle()):
  /// call user code from its libuv callback through this, never directly.
  /// Runs `f` the way the runtime runs its own callbacks: inside `r`'s
  /// callback_scope (before/after, r's context), an exception escaping `f`
  /// goes the uncaught-exception way (on_uncaught_exception, else run()
  /// rethrows it), then the tick and microtask queues are drained (unless
  /// this is nested inside another callback, which drains when it ends, as
  /// Node's CallbackScope). Returns false without calling `f` while the loop
  /// is stopping (a callback threw in this loop turn and run() is about to
  /// rethrow): no user code runs then; call it again after run() returns.
  /// Loop thread only (usage_error otherwise). docs/integration.md shows a
  /// uv_signal_t wired this way.
  template <class F>
    requires std::invocable<F&>
  bool run_callback(resource& r, F&& f) {
    detail::unique_function<void()> fn(std::forward<F>(f));
    return detail::run_callback_in(checked_core(), r, fn);
  }

  /// Not API: the implementation.
  detail::loop_core& core() noexcept { return *core_; }

 private:
  detail::loop_core& checked_core();

  // Declared first, destroyed last: the loop's teardown still closes the
  // post queue's handle (and executors may keep the queue longer).
  std::shared_ptr<detail::post_queue> posts_;
  std::unique_ptr<detail::loop_core> core_;
};

/// A handle for posting to one event_loop from any thread (event_loop::
/// executor()). Copyable, thread-safe, and it may outlive the loop: post()
/// then returns false. A default-constructed executor has no loop.
class loop_executor {
 public:
  loop_executor() noexcept = default;

  /// event_loop::post on the loop this executor came from; false (f
  /// destroyed unrun) if it has ended, is full, or there is none.
  template <class F>
    requires std::invocable<F&>
  bool post(F f) const {
    return queue_ != nullptr &&
           detail::submit_post(*queue_, detail::unique_function<void()>(std::move(f)));
  }

  /// True once the loop has been destroyed (or for an empty executor).
  bool ended() const noexcept;

  friend bool operator==(const loop_executor&, const loop_executor&) = default;

 private:
  friend class event_loop;
  explicit loop_executor(std::shared_ptr<detail::post_queue> q) noexcept : queue_(std::move(q)) {}
  std::shared_ptr<detail::post_queue> queue_;
};

/// Keeps an event_loop's run() going while it lives (event_loop::hold()).
/// Move-only. Released by release() or the destructor, on any thread.
class loop_hold {
 public:
  loop_hold() noexcept = default;
  loop_hold(loop_hold&& other) noexcept : queue_(std::move(other.queue_)) {}
  loop_hold& operator=(loop_hold&& other) noexcept {
    if (this != &other) {
      release();
      queue_ = std::move(other.queue_);
    }
    return *this;
  }
  loop_hold(const loop_hold&) = delete;
  loop_hold& operator=(const loop_hold&) = delete;
  ~loop_hold() { release(); }

  /// Lets run() end once it has nothing else to do. Idempotent.
  void release() noexcept;
  bool held() const noexcept { return queue_ != nullptr; }

 private:
  friend class event_loop;
  explicit loop_hold(std::shared_ptr<detail::post_queue> q) noexcept : queue_(std::move(q)) {}
  std::shared_ptr<detail::post_queue> queue_;
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
