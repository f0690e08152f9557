#pragma once
// The one path every libuv request takes: fs calls and the steps of
// read_file/write_file, socket writes and shutdowns, connects, getaddrinfo
// lookups and queue_work jobs. A request is one heap object that is both
// the libuv request and the resource reporting it (FSREQCALLBACK,
// FSREQPROMISE, WRITEWRAP, SHUTDOWNWRAP, TCPCONNECTWRAP, GETADDRINFOREQWRAP,
// QUEUEWORK). Unless libuv or the loop's queue of held-back completions
// holds it, a std::unique_ptr owns it:
//
//   start_request     takes the caller's unique_ptr: `init` in the calling
//                     context, then the uv_* call; on success it is released
//                     to libuv (req->data points at it), else destroyed.
//   complete_request  the end of the libuv completion callback, once it has
//                     recorded libuv's result in the request: re-adopts it
//                     and hands it to loop_core::run_callback, which holds it
//                     back while the loop is stopping (an uncaught
//                     exception), destroys it unrun while the loop is being
//                     destroyed, and otherwise runs complete() in its
//                     callback scope, then `destroy`, frees it, and drains
//                     ticks and microtasks.
//   start_request_or_fail_soon
//                     as start_request, for calls that report every error
//                     through their callback: a refused request goes to
//   complete_soon     complete() from a microtask inside its scope (never
//                     synchronously), then `destroy` and free (held back and
//                     dropped as any microtask).
//
// A request type R is a `resource` with
//   loop_core* loop;             set by start_request
//   uv_req_t* native() noexcept; its libuv request (uv_request<Uv> below)
//   void complete();             the user's callback, in R's scope; may throw
//                                (the uncaught path); moves the callback out
//                                before calling it
//   ~R()                         releases what complete() did not take: it
//                                also runs without complete() (teardown)
//   int status;                  for start_request_or_fail_soon: the refusal

#include <uv.h>

#include <memory>
#include <string_view>
#include <utility>

#include <tether/integration.hpp>

#include "runtime/loop_core.hpp"

namespace tether::detail {

/// The usual request type's base: the libuv request `Uv` (uv_fs_t,
/// uv_write_t, ...) and the loop, in a resource.
template <class Uv>
struct uv_request : resource {
  Uv req{};
  loop_core* loop = nullptr;

  /// libuv's request types all start with uv_req_t's fields (uv.h: "any
  /// libuv request can be cast to uv_req_t").
  uv_req_t* native() noexcept { return reinterpret_cast<uv_req_t*>(&req); }
};

/// The request a libuv callback was called with.
template <class R, class Uv>
R& request_of(Uv* native) noexcept {
  return *static_cast<R*>(native->data);
}

namespace request_impl {

/// init, then the uv_* call (`start_uv(r)`, 0 or libuv's negative code).
template <class R, class Start>
int launch(R& r, loop_core& loop, std::string_view type, async_id trigger, Start& start_uv) {
  r.loop = &loop;
  r.native()->data = &r;
  emit_init(r, type, trigger);
  return start_uv(r);
}

}  // namespace request_impl

/// Reports `r` (`init` now, in the calling context, with `type` and
/// `trigger`, 0: the current id) and starts it: `start_uv(R&)` makes the
/// uv_* call with &r.req and the completion callback, and returns its code.
/// Returns 0 once libuv owns the request (until complete_request). If libuv
/// refused it (a negative code, returned) or `start_uv` threw (rethrown; it
/// may turn a refusal into the caller's exception while the request's data
/// is still there), `r` is destroyed again: `destroy` emitted, freed.
template <class R, class Start>
[[nodiscard]] int start_request(std::unique_ptr<R> r, loop_core& loop, std::string_view type,
                                async_id trigger, Start&& start_uv) {
  int rc = 0;
  try {
    rc = request_impl::launch(*r, loop, type, trigger, start_uv);
  } catch (...) {
    emit_destroy(*r);
    throw;
  }
  if (rc < 0) {
    emit_destroy(*r);
    return rc;
  }
  r.release();  // libuv's until complete_request
  return 0;
}

/// complete() from a microtask inside `r`'s scope (the callback of a Node
/// API is never called from inside the call), then destroy and free. A
/// microtask dropped unrun (the loop destroyed first) still gets both.
template <class R>
void complete_soon(std::unique_ptr<R> r) {
  raw_reaction job;
  job.run = [](void* arg) { static_cast<R*>(arg)->complete(); };
  job.done = [](resource&, void* arg, bool) noexcept {
    const std::unique_ptr<R> done(static_cast<R*>(arg));
    emit_destroy(*done);
  };
  job.arg = r.get();
  try {
    r->loop->push_raw_reaction(*r, job);
  } catch (...) {
    emit_destroy(*r);  // out of memory for the microtask
    throw;
  }
  r.release();  // the microtask's until `done`
}

/// As start_request, for calls that report every failure through their
/// callback: a refused request records libuv's code (`r->status`) and
/// completes soon (complete_soon).
template <class R, class Start>
void start_request_or_fail_soon(std::unique_ptr<R> r, loop_core& loop, std::string_view type,
                                async_id trigger, Start&& start_uv) {
  if (const int rc = request_impl::launch(*r, loop, type, trigger, start_uv); rc < 0) {
    r->status = rc;
    complete_soon(std::move(r));
    return;
  }
  r.release();  // libuv's until complete_request
}

/// The end of every libuv completion callback, after it has stored what
/// libuv reported in `r`: takes the request back from libuv and completes it
/// (loop_core::run_callback: held back, dropped, or run in its scope).
template <class R>
void complete_request(R& r) noexcept {
  loop_core& loop = *r.loop;
  loop.run_callback(std::unique_ptr<R>(&r));
}

}  // namespace tether::detail
