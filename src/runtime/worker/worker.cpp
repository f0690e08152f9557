// worker: a std::thread with its own event_loop, and the parent's view of
// it: a WORKER resource whose callbacks (online, error, exit) run on the
// parent's loop, woken by a uv_async_t there. terminate() flags the worker
// and wakes a second uv_async_t on the worker's loop, whose callback stops
// that loop (loop_core::stop: no more user code in that turn).
//
// Who frees what: the worker_core is shared by the `worker` object and, while
// its handle is open, the parent-side uv_async_t (`keep`). The thread only
// holds a raw pointer: whoever releases the core joins the thread first
// (the exit path on the parent's loop, or ~worker), so the core outlives it.

#include <tether/worker.hpp>

#include <pthread.h>
#include <uv.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>

#include "runtime/inbox.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view worker_type = "WORKER";
constexpr unsigned online_event = 1;
constexpr unsigned exited_event = 2;

struct worker_resource final : resource {};

std::atomic<std::uint64_t> next_thread_id{1};

constinit thread_local worker_core* current_worker = nullptr;

}  // namespace

class worker_core final : public handle_owner {
 public:
  // --- parent side: the parent's loop thread ---
  worker_resource res;
  loop_core* parent_loop = nullptr;
  uv_async_t parent_async{};
  wake_gate parent_gate;
  bool parent_finished = false;
  bool user_ref = true;
  bool refed = true;
  bool online_delivered = false;
  bool error_delivered = false;
  bool exit_delivered = false;
  std::optional<int> delivered_code;
  unique_function<void()> on_online;
  unique_function<void(std::exception_ptr)> on_error;
  unique_function<void(int)> on_exit;
  std::vector<resolver<int>> terminate_waiters;
  std::shared_ptr<worker_core> keep;  // while parent_async is open

  // --- shared ---
  std::uint64_t thread_id = 0;
  std::atomic<unsigned> events{0};
  int exit_code = 0;         // written by the worker thread before `exited_event`
  std::exception_ptr error;  // likewise
  std::atomic<bool> stop{false};
  std::atomic<bool> exit_requested{false};
  std::atomic<int> requested_code{0};
  std::stop_source stop_source;
  std::atomic<bool> detached{false};  // the worker object is gone
  std::mutex join_mutex;
  std::thread thread;

  // --- worker side: the worker's thread ---
  uv_async_t control{};
  wake_gate control_gate;
  loop_core* worker_loop = nullptr;

  void close_on_teardown() noexcept override;
  void thread_main(unique_function<int()> body, const std::string& name) noexcept;
  void request_stop() noexcept {
    stop.store(true, std::memory_order_seq_cst);
    stop_source.request_stop();
    control_gate.wake();
  }
  void join() noexcept {
    const std::lock_guard lock(join_mutex);
    if (thread.joinable()) {
      thread.join();
    }
  }
};

namespace {

void update_ref(worker_core& w) noexcept {
  if (w.parent_finished) {
    return;
  }
  const bool want = w.user_ref && !w.exit_delivered;
  if (want != w.refed) {
    w.refed = want;
    auto* h = reinterpret_cast<uv_handle_t*>(&w.parent_async);
    want ? uv_ref(h) : uv_unref(h);
  }
}

void on_parent_closed(uv_handle_t* h) {
  auto* w = static_cast<worker_core*>(h->data);
  std::shared_ptr<worker_core> keep = std::move(w->keep);  // may free w
}

// The parent side has ended: WORKER's destroy, the handle closed, the
// callbacks dropped. Parent loop thread.
void finish_parent(worker_core& w) noexcept {
  if (w.parent_finished) {
    return;
  }
  w.parent_finished = true;
  emit_destroy(w.res);
  w.parent_gate.unbind();
  w.parent_loop->remove_handle_owner(w);
  w.on_online = nullptr;
  w.on_error = nullptr;
  w.on_exit = nullptr;
  w.terminate_waiters.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&w.parent_async), &on_parent_closed);
}

void on_parent_async(uv_async_t* h) {
  worker_core& w = *static_cast<worker_core*>(h->data);
  loop_core& loop = *w.parent_loop;
  if (w.detached.load(std::memory_order_acquire)) {
    finish_parent(w);
    return;
  }
  // Each step runs once; if a callback throws (no handler: the loop stops),
  // the steps left wait for the next run().
  const auto stopped = [&] {
    if (!loop.stopping()) {
      return false;
    }
    uv_async_send(&w.parent_async);
    return true;
  };
  if (stopped()) {
    return;
  }
  const unsigned ev = w.events.load(std::memory_order_acquire);
  if ((ev & online_event) != 0 && !w.online_delivered) {
    w.online_delivered = true;
    if (w.on_online) {
      unique_function<void()> fn = std::move(w.on_online);
      loop.run_callback(w.res, fn, [] {});
      if (stopped()) {
        return;
      }
    }
  }
  if ((ev & exited_event) == 0) {
    return;
  }
  w.join();  // it has published its exit: only the thread's end is left
  if (!w.error_delivered) {
    w.error_delivered = true;
    if (w.error && w.on_error) {
      unique_function<void(std::exception_ptr)> fn = std::move(w.on_error);
      loop.run_callback(w.res, [&] { fn(w.error); }, [] {});
      if (stopped()) {
        return;
      }
    }
  }
  w.exit_delivered = true;
  w.delivered_code = w.exit_code;
  unique_function<void(int)> fn = std::move(w.on_exit);
  std::vector<resolver<int>> waiters = std::move(w.terminate_waiters);
  loop.run_callback(
      w.res,
      [&] {
        if (fn) {
          fn(w.exit_code);
        }
        for (resolver<int>& r : waiters) {
          r.resolve(w.exit_code);
        }
      },
      [] {});
  finish_parent(w);
}

void on_control(uv_async_t* h) {
  auto& w = *static_cast<worker_core*>(h->data);
  if (w.stop.load(std::memory_order_seq_cst)) {
    w.worker_loop->stop();
  }
}

void name_thread(const std::string& name) noexcept {
  if (!name.empty()) {
    ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
  }
}

}  // namespace

void worker_core::thread_main(unique_function<int()> body, const std::string& name) noexcept {
  current_worker = this;
  name_thread(name);
  int code = 0;
  std::exception_ptr err;
  try {
    event_loop loop;
    worker_loop = &loop.core();
    uv_async_init(loop.native_handle(), &control, &on_control);
    control.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&control));
    control_gate.bind(&control);
    events.fetch_or(online_event, std::memory_order_release);
    parent_gate.wake();
    // A terminate() that came before the bind is seen here (seq_cst on the
    // flag and on the gate); one after it wakes `control`.
    if (!stop.load(std::memory_order_seq_cst)) {
      try {
        code = body();
        if (!stop.load(std::memory_order_seq_cst)) {
          loop.run();
        }
      } catch (...) {
        err = std::current_exception();
        code = 1;
      }
    }
    body = nullptr;  // fn and its arguments (ports...) go while the loop exists
    control_gate.unbind();
    uv_close(reinterpret_cast<uv_handle_t*>(&control), nullptr);
    worker_loop = nullptr;
  } catch (...) {  // the loop could not be created
    err = std::current_exception();
    code = 1;
  }
  if (exit_requested.load(std::memory_order_acquire)) {
    code = requested_code.load(std::memory_order_relaxed);
  } else if (stop.load(std::memory_order_acquire)) {
    code = 1;  // terminated (Node's exit code for terminate())
  }
  exit_code = code;
  error = std::move(err);
  current_worker = nullptr;
  events.fetch_or(exited_event, std::memory_order_release);
  parent_gate.wake();  // the parent joins this thread before it frees anything
}

void worker_core::close_on_teardown() noexcept {
  // The parent's loop ends first: the worker runs on (the worker object
  // still joins it), its callbacks will not run.
  finish_parent(*this);
}

std::shared_ptr<worker_core> start_worker(worker_options options, unique_function<int()> body) {
  loop_core& loop = current_core();  // usage_error without a loop
  auto w = std::make_shared<worker_core>();
  w->thread_id = next_thread_id.fetch_add(1, std::memory_order_relaxed);
  w->parent_loop = &loop;
  if (const int rc = uv_async_init(loop.uv(), &w->parent_async, &on_parent_async); rc != 0) {
    throw std::runtime_error(std::string("tether: uv_async_init failed: ") + uv_strerror(rc));
  }
  w->parent_async.data = w.get();
  w->keep = w;
  loop.add_handle_owner(*w);
  w->parent_gate.bind(&w->parent_async);
  emit_init(w->res, worker_type);
  try {
    w->thread = std::thread([core = w.get(), body = std::move(body), name = std::move(options.name)]() mutable {
      core->thread_main(std::move(body), name);
    });
  } catch (...) {
    finish_parent(*w);
    throw;
  }
  return w;
}

void worker_on_online(worker_core& w, unique_function<void()> fn) { w.on_online = std::move(fn); }
void worker_on_error(worker_core& w, unique_function<void(std::exception_ptr)> fn) {
  w.on_error = std::move(fn);
}
void worker_on_exit(worker_core& w, unique_function<void(int)> fn) { w.on_exit = std::move(fn); }

promise<int> worker_terminate(worker_core& w) {
  auto [p, r] = make_promise<int>();
  if (w.delivered_code) {
    r.resolve(*w.delivered_code);
  } else if (!w.parent_finished) {
    w.terminate_waiters.push_back(std::move(r));
  }
  w.request_stop();
  return std::move(p);
}

void worker_set_ref(worker_core& w, bool refed) {
  w.user_ref = refed;
  update_ref(w);
}

bool worker_has_ref(const worker_core& w) noexcept { return w.refed && !w.parent_finished; }

std::uint64_t worker_thread_id(const worker_core& w) noexcept { return w.thread_id; }

std::optional<int> worker_exit_code(const worker_core& w) noexcept { return w.delivered_code; }

void worker_release(std::shared_ptr<worker_core>& w) noexcept {
  if (w == nullptr) {
    return;
  }
  w->request_stop();
  w->join();
  w->detached.store(true, std::memory_order_release);
  if (current_core_if_any() == w->parent_loop && !w->parent_finished) {
    finish_parent(*w);  // drops the callbacks unrun
  } else {
    w->parent_gate.wake();  // the parent's loop finishes it (a no-op once finished)
  }
  w.reset();
}

void throw_detached_worker() {
  throw usage_error("tether: this worker object was moved from; use the worker it was moved to");
}

}  // namespace tether::detail

namespace tether::this_worker {

bool is_worker_thread() noexcept { return detail::current_worker != nullptr; }

std::uint64_t thread_id() noexcept {
  return detail::current_worker != nullptr ? detail::current_worker->thread_id : 0;
}

bool stop_requested() noexcept {
  return detail::current_worker != nullptr &&
         detail::current_worker->stop.load(std::memory_order_relaxed);
}

std::stop_token stop_token() noexcept {
  return detail::current_worker != nullptr ? detail::current_worker->stop_source.get_token()
                                           : std::stop_token{};
}

void exit(int code) {
  detail::worker_core* w = detail::current_worker;
  if (w == nullptr) {
    throw usage_error(
        "tether: this_worker::exit() called outside a worker's thread; end the main thread's "
        "loop by letting its work finish (or std::exit)");
  }
  w->requested_code.store(code, std::memory_order_relaxed);
  w->exit_requested.store(true, std::memory_order_release);
  w->stop.store(true, std::memory_order_seq_cst);
  w->stop_source.request_stop();
  if (w->worker_loop != nullptr) {
    w->worker_loop->stop();
  }
}

}  // namespace tether::this_worker
