// event_loop: construction, run(), the next_tick / microtask drain, and
// teardown.

#include <tether/event_loop.hpp>

#include <new>
#include <string>

#include <tether/debug.hpp>
#include <tether/detail/diagnostics.hpp>
#include <tether/error.hpp>

#include "runtime/loop_core.hpp"
#include "runtime/post_queue.hpp"

namespace tether::detail {
namespace {


void check(int rc, const char* what) {
  if (rc != 0) {
    throw std::runtime_error(std::string("tether: ") + what + " failed: " + uv_strerror(rc));
  }
}

}  // namespace

constinit thread_local loop_core* current_loop = nullptr;

loop_core& current_core() {
  if (current_loop == nullptr) [[unlikely]] {
    throw usage_error(
        "tether: no event_loop on this thread; construct a tether::event_loop on the thread "
        "before scheduling timers, immediates, ticks or microtasks");
  }
  return *current_loop;
}

loop_core::loop_core()
    : task_pool_(node_pool<task_node>::create()),
      timer_pool_(node_pool<timer_node>::create()),
      immediate_pool_(node_pool<immediate_node>::create()) {
  check(uv_loop_init(&loop_), "uv_loop_init");
  uv_timer_init(&loop_, &timer_handle_);
  uv_check_init(&loop_, &check_handle_);
  uv_idle_init(&loop_, &idle_handle_);
  uv_prepare_init(&loop_, &prepare_handle_);
  // Idle time in the poll phase, for performance::event_loop_utilization()
  // (Node turns it on for every loop too).
  uv_loop_configure(&loop_, UV_METRICS_IDLE_TIME);
  timer_handle_.data = check_handle_.data = idle_handle_.data = prepare_handle_.data = this;
  // The check handle runs immediates but does not keep the loop alive; the
  // idle handle does, while ref'd immediates are pending (it also stops the
  // poll phase from blocking), exactly as Node's immediate_check/idle pair.
  uv_check_start(&check_handle_, &loop_core::on_check);
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_handle_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
}

loop_core::~loop_core() {
  closing_ = true;  // completions arriving from here on must not call user code
  run_deferred();   // each frees its request and emits destroy (closing_)
  drop_pending_work();
  close_owned_handles();
  close_handles();
  task_pool_->orphan();
  timer_pool_->orphan();
  immediate_pool_->orphan();
}

int loop_core::run() {
  if (running_) {
    throw usage_error("tether: event_loop::run() called from inside a callback of the same loop; "
                      "return from the callback instead");
  }
  running_ = true;
  if (started_ns_ == 0) {
    started_ns_ = uv_hrtime();
  }
  struct reset_running {
    bool& flag;
    ~reset_running() { flag = false; }
  } reset{running_};
  // Ticks and microtasks queued before run() come first, as after Node's
  // main script.
  drain();
  if (!stopping_) {
    // A run() that stopped on an exception left its due timers unarmed
    // (run_timers does not re-arm while stopping): arm them now.
    arm_timer();
    uv_run(&loop_, UV_RUN_DEFAULT);
  } else {
    // Stopped before uv_run (an exception or unhandled rejection in that
    // first drain): uv_stop() outside uv_run would end the next uv_run at
    // once (the next run(), or the close pass of the destructor).
    loop_.stop_flag = 0;
  }
  stopping_ = false;
  if (pending_exception_) {
    std::rethrow_exception(std::exchange(pending_exception_, nullptr));
  }
  return 0;
}

void loop_core::uncaught(std::exception_ptr e) noexcept {
  // Still inside the throwing callback's scope: its async trace is complete
  // here and gone once the scope closes.
  note_exception(e);
  if (uncaught_handler_) {
    try {
      uncaught_handler_(e);
      return;
    } catch (...) {
      e = std::current_exception();  // a throwing handler stops the loop with its own exception
    }
  }
  if (!pending_exception_) {
    pending_exception_ = std::move(e);
  }
  stopping_ = true;
  uv_stop(&loop_);
}

void loop_core::push_tick(unique_function<void()> fn) {
  task_node* t = task_pool_->acquire();
  t->fn = std::move(fn);
  emit_init(*t, "TickObject");
  ticks_.push(t);
}

void loop_core::push_microtask(unique_function<void()> fn) {
  task_node* t = task_pool_->acquire();
  t->fn = std::move(fn);
  emit_init(*t, "Microtask");
  microtasks_.push(t);
}

// Node's processTicksAndRejections: every tick, then every microtask, until
// both queues are empty. A tick queued by a microtask runs after the whole
// microtask queue, as in Node.
void loop_core::drain() noexcept {
  // The usual case after a timer, immediate or I/O callback: nothing queued
  // and nothing to report. Skips the out-of-line process_rejections() call
  // (bench/README.md: ~50 of ~500 instructions per timer).
  if (ticks_.empty() && microtasks_.empty() && rejections_.empty()) {
    return;
  }
  do {
    while (!stopping_) {
      task_node* t = ticks_.pop();
      if (t == nullptr) {
        break;
      }
      run_task(*t);
    }
    while (!stopping_) {
      task_node* t = microtasks_.pop();
      if (t == nullptr) {
        break;
      }
      run_task(*t);
    }
    // Node's processTicksAndRejections: once both queues are empty, report
    // the rejections still unhandled; their handlers may queue more work.
  } while (!stopping_ && (!ticks_.empty() || process_rejections()));
}

void loop_core::push_raw_reaction(resource& target, const raw_reaction& r) {
  task_node* t = task_pool_->acquire();
  t->target = &target;
  t->raw = r;
  microtasks_.push(t);
}

void loop_core::run_task(task_node& t) noexcept {
  if (t.raw.run != nullptr) {
    // A promise job: no unique_function; `done` runs after the scope.
    const raw_reaction r = std::exchange(t.raw, raw_reaction{});
    resource& target = *t.target;
    auto body = [&r] { r.run(r.arg); };
    invoke_in_scope(target, body);
    task_pool_->recycle(&t);
    r.done(target, r.arg, true);
    return;
  }
  invoke_in_scope(t, t.fn);
  discard_task(t);
}

// A task that ran or never will: its destroy (unless it is a promise job,
// which is no resource), then back to the pool.
void loop_core::discard_task(task_node& t) noexcept {
  if (t.raw.done != nullptr) {
    const raw_reaction r = std::exchange(t.raw, raw_reaction{});
    resource& target = *t.target;
    task_pool_->recycle(&t);
    r.done(target, r.arg, false);
    return;
  }
  t.fn = nullptr;
  emit_destroy(t);
  resource_access::capture_frame(t, nullptr);
  task_pool_->recycle(&t);
}

void loop_core::drop_pending_work() noexcept {
  // Work that never ran still gets its destroy, so every init is balanced.
  for (task_queue* q : {&ticks_, &microtasks_}) {
    while (task_node* t = q->pop()) {
      discard_task(*t);
    }
  }
  while (timer_list* l = timers_.earliest()) {
    clear_timer(*l->head);
  }
  while (!immediates_.empty()) {
    clear_immediate(*immediates_.front());
  }
  drop_rejections();
}

void loop_core::add_handle_owner(handle_owner& o) noexcept {
  o.prev_owner = nullptr;
  o.next_owner = owners_;
  if (owners_ != nullptr) {
    owners_->prev_owner = &o;
  }
  owners_ = &o;
}

void loop_core::remove_handle_owner(handle_owner& o) noexcept {
  (o.prev_owner != nullptr ? o.prev_owner->next_owner : owners_) = o.next_owner;
  if (o.next_owner != nullptr) {
    o.next_owner->prev_owner = o.prev_owner;
  }
  o.prev_owner = o.next_owner = nullptr;
}

// Sockets and servers still open: each closes its handle (and unregisters);
// their close callbacks run in close_handles()' uv_run, running no user code.
void loop_core::close_owned_handles() noexcept {
  while (handle_owner* o = owners_) {
    o->close_on_teardown();
    if (owners_ == o) {  // it did not unregister: do not spin
      remove_handle_owner(*o);
    }
  }
}

bool loop_core::defer(unique_function<void()> redo) noexcept {
  try {
    deferred_.push_back(std::move(redo));
  } catch (const std::bad_alloc&) {
    return false;
  }
  uv_prepare_start(&prepare_handle_, &loop_core::on_prepare);
  return true;
}

void loop_core::on_prepare(uv_prepare_t* h) { static_cast<loop_core*>(h->data)->run_deferred(); }

// Completions held back by an uncaught exception (defer_if_stopping), in the
// order libuv delivered them. One that throws stops the loop again; the rest
// wait for the next run().
void loop_core::run_deferred() noexcept {
  while (!stopping_ && !deferred_.empty()) {
    unique_function<void()> redo = std::move(deferred_.front());
    deferred_.pop_front();
    redo();
  }
  if (deferred_.empty()) {
    uv_prepare_stop(&prepare_handle_);
  }
}

void loop_core::close_handles() noexcept {
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&timer_handle_),
                         reinterpret_cast<uv_handle_t*>(&check_handle_),
                         reinterpret_cast<uv_handle_t*>(&idle_handle_),
                         reinterpret_cast<uv_handle_t*>(&prepare_handle_)}) {
    uv_close(h, nullptr);
  }
  // Let libuv run the close callbacks of our handles (and of any the user
  // closed); then the loop must be empty.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (const int rc = uv_loop_close(&loop_); rc != 0) {
    debug("tether: event_loop destroyed while libuv handles are still open:", uv_strerror(rc),
          "(close them before the loop ends)");
  }
}

}  // namespace tether::detail

namespace tether {
namespace {
constinit thread_local event_loop* current_event_loop = nullptr;
}  // namespace

event_loop::event_loop() {
  if (detail::current_loop != nullptr) {
    throw usage_error(
        "tether: an event_loop already exists on this thread; use event_loop::current(), one "
        "loop per thread");
  }
  core_ = std::make_unique<detail::loop_core>();
  posts_ = detail::make_post_queue(*core_);
  detail::current_loop = core_.get();
  current_event_loop = this;
}

event_loop::~event_loop() {
  core_.reset();
  detail::current_loop = nullptr;
  current_event_loop = nullptr;
}

int event_loop::run() {
  if (detail::current_loop != core_.get()) {
    throw usage_error("tether: event_loop::run() called on a thread that does not own this loop");
  }
  detail::before_run(*posts_);
  return core_->run();
}

event_loop& event_loop::current() {
  detail::current_core();  // throws the usage_error when there is none
  return *current_event_loop;
}

uv_loop_t* event_loop::native_handle() noexcept { return core_->uv(); }

std::uint64_t event_loop::now() const noexcept { return uv_now(core_->uv()); }

void event_loop::on_uncaught_exception(std::function<void(std::exception_ptr)> handler) {
  core_->set_uncaught_handler(std::move(handler));
}

void event_loop::on_unhandled_rejection(std::function<void(std::exception_ptr)> handler) {
  core_->set_rejection_handler(std::move(handler));
}

namespace detail {
void schedule_tick(loop_core& loop, unique_function<void()> fn) { loop.push_tick(std::move(fn)); }
void schedule_microtask(loop_core& loop, unique_function<void()> fn) {
  loop.push_microtask(std::move(fn));
}
}  // namespace detail

}  // namespace tether
