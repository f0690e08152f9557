#pragma once
// The loop-thread state behind event_loop: libuv handles, the tick and
// microtask queues, timer lists and immediates. Loop-thread only, no locks.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include <tether/detail/intrusive_list.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/integration.hpp>

#include "runtime/node_pool.hpp"
#include "runtime/timer_lists.hpp"

namespace tether::detail {

struct promise_base;
class loop_core;

extern constinit thread_local loop_core* current_loop;

/// The calling thread's loop, or null (no throw).
inline loop_core* current_core_if_any() noexcept { return current_loop; }

/// A promise job, without a unique_function (promise.cpp's hot path): `run(arg)`
/// runs inside `target`'s callback_scope, then `done(target, arg, true)` after
/// the scope has closed; a job discarded unrun gets `done(target, arg, false)`.
struct raw_reaction {
  void (*run)(void* arg) = nullptr;
  void (*done)(resource& target, void* arg, bool ran) noexcept = nullptr;
  void* arg = nullptr;
};

/// A next_tick or queue_microtask callback: one resource, one run. A promise
/// reaction is a task that runs in another resource's scope (`target`, the
/// derived promise, as V8 does) and is not a resource of its own.
/// Its hook links it into a task queue, or into the pool's free list.
struct task_node final : resource, list_hook<> {
  unique_function<void()> fn;
  resource* target = nullptr;
  raw_reaction raw{};  // set only for push_raw_reaction
};

/// A FIFO of tick or microtask nodes.
using task_queue = intrusive_list<task_node>;

/// Its hook links it into the loop's queue (clear_immediate unlinks in O(1)),
/// or into the pool's free list.
struct immediate_node final : resource, list_hook<> {
  unique_function<void()> fn;
  loop_core* loop = nullptr;  // null once it has run or been cleared
  node_pool<immediate_node>* pool = nullptr;
  std::uint32_t handles = 0;
  bool queued = false;  // waiting to run: not yet run or cleared
  bool refed = true;
};

/// Something outside the loop that owns a libuv handle (a TCP socket or
/// server, src/runtime/net/): registered while its handle is open, so that
/// the loop's destructor can uv_close() it before waiting for libuv's close
/// callbacks (an open, active handle would keep that wait going forever).
struct handle_owner : list_hook<handle_owner> {
  /// Called once by the loop's destructor (closing() is true): must uv_close
  /// the handle and remove_handle_owner(*this).
  virtual void close_on_teardown() noexcept = 0;

 protected:
  ~handle_owner() = default;
};

class loop_core {
 public:
  loop_core();
  ~loop_core();
  loop_core(const loop_core&) = delete;
  loop_core& operator=(const loop_core&) = delete;

  uv_loop_t* uv() noexcept { return &loop_; }
  int run();
  void set_uncaught_handler(std::function<void(std::exception_ptr)> h) { uncaught_handler_ = std::move(h); }

  void push_tick(unique_function<void()> fn);
  void push_microtask(unique_function<void()> fn);
  /// Queues a promise job (see raw_reaction) as a microtask that runs inside
  /// `target`'s callback_scope, creating no resource; `target` must stay
  /// alive until it has run.
  void push_raw_reaction(resource& target, const raw_reaction& r);

  timer_node* start_timer(unique_function<void()> fn, std::uint64_t ms, bool repeat);
  void clear_timer(timer_node& t) noexcept;
  void refresh_timer(timer_node& t) noexcept;
  void set_timer_ref(timer_node& t, bool refed) noexcept;

  /// A new immediate whose callback `construct(slot, f)` builds in place
  /// (timers.hpp's set_immediate).
  immediate_node* start_immediate(void (*construct)(unique_function<void()>&, void*), void* f);
  void clear_immediate(immediate_node& n) noexcept;
  void set_immediate_ref(immediate_node& n, bool refed) noexcept;

  /// Runs one callback of `r` that libuv delivered (an I/O completion,
  /// thread-pool work done): `body` inside r's callback_scope, an escaping
  /// exception routed to the uncaught path; then `after_scope` outside the
  /// scope (e.g. emit_destroy of a one-shot request and freeing it); then the
  /// tick/microtask drain, as after every Node callback.
  template <class F, class G>
  void run_callback(resource& r, F&& body, G&& after_scope) noexcept {
    invoke_in_scope(r, body);
    after_scope();
    drain();
  }

  /// Completes a libuv request that libuv has handed back (runtime/request.hpp,
  /// the only caller): while the loop is stopping it is held back
  /// (defer_if_stopping: this same call again from the next run(), or from
  /// the destructor); while the loop is being destroyed it gets its destroy
  /// and is freed, unrun; otherwise `r->complete()` runs in its scope, then
  /// destroy, free, drain.
  template <class Request>
  void run_callback(std::unique_ptr<Request> r) noexcept {
    if (closing_) {
      emit_destroy(*r);
      return;
    }
    Request* held = r.release();  // the deferred call's until it runs
    if (defer_if_stopping([this, held] { run_callback(std::unique_ptr<Request>(held)); })) {
      return;
    }
    r.reset(held);
    run_callback(
        *r, [&] { r->complete(); },
        [&] {
          emit_destroy(*r);
          r.reset();
        });
  }

  /// event_loop::run_callback: run_callback without the after-scope step;
  /// nested inside another callback, the drain is left to that one (it
  /// drains when it ends, as Node's CallbackScope).
  template <class F>
  void run_user_callback(resource& r, F&& body) noexcept {
    const bool nested = tls.current != nullptr;
    invoke_in_scope(r, body);
    if (!nested) {
      drain();
    }
  }

  /// Stops run() the way an uncaught exception does, without one: no more
  /// user code runs in this loop turn, run() returns 0, the work left stays
  /// queued (a worker's terminate() and this_worker::exit()).
  void stop() noexcept {
    stopping_ = true;
    uv_stop(&loop_);
  }

  void add_handle_owner(handle_owner& o) noexcept;
  void remove_handle_owner(handle_owner& o) noexcept;

  /// The first step of completing a libuv request (run_callback above):
  /// `redo` completes it again later. While the loop is stopping
  /// (a callback threw earlier in this loop turn; run() is about to rethrow),
  /// no more user code may run, yet libuv still delivers the rest of the
  /// turn's completions. Then `redo` is held back and true returned: the
  /// next run() calls it in the prepare phase of its first turn (after the
  /// timers, before the poll phase where it came from), or the loop's
  /// destructor calls it with closing() set. False (go on now) otherwise,
  /// and when out of memory (the completion then runs now). `redo`'s
  /// captures must fit unique_function's inline storage (a pointer or two).
  template <class F>
  bool defer_if_stopping(F&& redo) noexcept {
    return stopping_ && !closing_ && defer(unique_function<void()>(std::forward<F>(redo)));
  }

  bool stopping() const noexcept { return stopping_; }
  /// uv_hrtime() when run() was first called (0: never), for
  /// performance::event_loop_utilization().
  std::uint64_t started_ns() const noexcept { return started_ns_; }
  /// True while the loop is being destroyed: an I/O or work completion that
  /// libuv delivers now frees its request and emits destroy, but runs no user
  /// callback (the objects it captured may already be gone).
  bool closing() const noexcept { return closing_; }

  /// Unhandled promise rejections (unhandled_rejections.cpp). A promise rejected with no
  /// handler is remembered (with the context frame current at rejection);
  /// after the tick/microtask drain, those still unhandled are reported.
  void track_rejection(promise_base& p);
  void set_rejection_handler(std::function<void(std::exception_ptr)> h) {
    rejection_handler_ = std::move(h);
  }

 private:
  /// Runs one callback of `r` inside its callback_scope; an escaping
  /// exception goes to uncaught(), still inside the scope (Node runs
  /// 'uncaughtException' listeners in the throwing callback's context).
  template <class F>
  void invoke_in_scope(resource& r, F& body) noexcept {
    callback_scope scope(r);
    try {
      body();
    } catch (...) {
      uncaught(std::current_exception());
    }
  }

  void drain() noexcept;
  bool process_rejections() noexcept;  // true if any was reported
  void drop_rejections() noexcept;
  void run_task(task_node& t) noexcept;
  void discard_task(task_node& t) noexcept;
  void uncaught(std::exception_ptr e) noexcept;

  // Phases, in libuv's order.
  static void on_timer(uv_timer_t* h);
  static void on_check(uv_check_t* h);
  static void on_idle(uv_idle_t* h);
  void run_timers();
  bool run_timer_list(timer_list& l, std::uint64_t now);
  void run_immediates();
  void arm_timer() noexcept;
  void finish_timer(timer_node& t) noexcept;
  void update_immediate_ref() noexcept;
  void start_idle() noexcept;
  void unlink_immediate(immediate_node& n) noexcept;
  void finish_immediate(immediate_node& n) noexcept;
  void drop_pending_work() noexcept;
  void close_handles() noexcept;
  bool defer(unique_function<void()> redo) noexcept;
  static void on_prepare(uv_prepare_t* h);
  void run_deferred() noexcept;
  void close_owned_handles() noexcept;

  uv_loop_t loop_{};
  uv_timer_t timer_handle_{};
  uv_check_t check_handle_{};
  uv_idle_t idle_handle_{};
  uv_prepare_t prepare_handle_{};  // started while deferred_ is not empty

  task_queue ticks_;
  task_queue microtasks_;
  node_pool<task_node>* task_pool_;

  timer_lists timers_;
  std::uint64_t armed_expiry_ = 0;  // when timer_handle_ fires; 0: not armed
  std::size_t refed_timers_ = 0;
  node_pool<timer_node>* timer_pool_;

  intrusive_list<handle_owner, handle_owner> owners_;

  // Immediates in the order they run. While the check phase runs, the ones
  // it took end at batch_last_ (null: not running); those queued meanwhile
  // follow it, for the next turn.
  intrusive_list<immediate_node> immediates_;
  immediate_node* batch_last_ = nullptr;
  std::size_t refed_immediates_ = 0;
  bool idle_active_ = false;  // idle_handle_ started (skips uv_idle_start/stop)
  node_pool<immediate_node>* immediate_pool_;

  std::function<void(std::exception_ptr)> uncaught_handler_;
  struct rejection {
    promise_base* promise;
    context_frame* frame;  // owned reference
  };
  std::vector<rejection> rejections_;
  std::function<void(std::exception_ptr)> rejection_handler_;
  std::exception_ptr pending_exception_;
  std::deque<unique_function<void()>> deferred_;  // completions held back while stopping
  bool stopping_ = false;
  bool running_ = false;
  std::uint64_t started_ns_ = 0;
  bool closing_ = false;
};

}  // namespace tether::detail
